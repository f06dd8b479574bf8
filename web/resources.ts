/**
 * What every route handler receives: one explicit resources object (no globals), built
 * once when the api-server starts.
 */
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import type { Logger } from '../core/logging.ts';

export interface WebResources {
  config: Config;
  db: Db;
  log: Logger;
  /** The key that signs and checks API tokens (see web/auth/secret.ts). */
  secretKey: Uint8Array;
}
