/** `api-server` (the REST APIs and the UI) and `users create`. */
import type { Command } from 'commander';
import { createLogger } from '../../core/logging.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { createUser, parseRole } from '../../core/users/users.ts';
import { loadSecretKey } from '../../web/auth/secret.ts';
import { ApiServer } from '../../web/server.ts';
import { migrateQuietly, runUntilSignal } from '../components.ts';
import { cliOwner } from '../output.ts';
import { openRuntime, withRuntime, type Runtime } from '../runtime.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be 0-65535, got "${v}"`);
  return n;
};

export async function startApiServer(rt: Runtime, portOverride?: number): Promise<ApiServer> {
  const server = new ApiServer({ config: rt.config, db: rt.db, log: createLogger('api-server', rt.config.logLevel), secretKey: loadSecretKey(rt.config) });
  await server.start(portOverride ?? rt.config.apiPort);
  return server;
}

export function registerWebCommands(program: Command): void {
  program.command('api-server').description('serve the REST API (/api/v2), the pipeline API (/api/v1) and the UI')
    .option('-p, --port <port>', 'port (default UPDRAFT_API_PORT or 8092)', port)
    .action(async (o: { port?: number }) => {
      const rt = await openRuntime(8);
      await migrateQuietly(rt);
      const server = await startApiServer(rt, o.port);
      process.stderr.write(`updraft api-server listening on http://${rt.config.apiHost}:${server.port}\n`);
      await runUntilSignal([server], rt);
    });

  const users = program.command('users').description('API and UI users');
  users.command('create').description('create a user (roles: admin, op, user, viewer)')
    .requiredOption('-u, --username <name>', 'login name')
    .requiredOption('-p, --password <password>', 'password (at least 8 characters)')
    .requiredOption('-r, --role <role>', 'admin, op, user or viewer')
    .action(async (o: { username: string; password: string; role: string }) => withRuntime(async (rt) => {
      const role = parseRole(o.role);
      await createUser(rt.db, o.username, o.password, role);
      await recordEvent(rt.db, { event: 'cli_users_create', owner: cliOwner(), extra: { username: o.username, role } });
      process.stdout.write(`user ${o.username} created with role ${role}\n`);
    }));
}
