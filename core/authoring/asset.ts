/**
 * `new Asset('s3://bucket/key')`: a piece of data that tasks update (`outlets`) and DAGs
 * can be scheduled on (`schedule: [asset, ...]`), as in Airflow 3. The URI is what
 * identifies an asset; it is checked here so a bad one is an import error naming it.
 */
import { validateAssetUri } from '../schedule/assets.ts';

export interface AssetArgs {
  /** Human-readable name; defaults to the URI, as in Airflow. */
  name?: string;
  /** Free-form JSON metadata about the asset (not used for scheduling). */
  extra?: Record<string, unknown>;
}

export class Asset {
  readonly uri: string;
  readonly name: string;
  readonly extra: Record<string, unknown>;

  constructor(uri: string, args: AssetArgs = {}) {
    this.uri = validateAssetUri(uri, 'Asset');
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name.trim() === '')) {
      throw new Error(`Asset ${JSON.stringify(uri)}: name must be a non-empty string`);
    }
    this.name = args.name ?? uri;
    this.extra = args.extra ?? {};
  }

  /** Serialized DAGs keep only the URI, so an Asset stringifies and JSON-encodes as it. */
  toString(): string { return this.uri; }
  toJSON(): string { return this.uri; }
}
