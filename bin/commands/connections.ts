/** `updraft connections ...`: add, get, delete, list (Airflow's names). Passwords are never printed. */
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { parseConnectionUri, parsePort, validateExtra, normalizeConnType, type ConnectionFields } from '../../core/connections/connection-uri.ts';
import {
  addConnection, deleteConnection, getStoredConnection, listConnections, maskedConnection,
} from '../../core/connections/manage-connections.ts';
import { cliOwner, parseFormat, printRows, type OutputFormat } from '../output.ts';
import { withRuntime } from '../runtime.ts';

const OUTPUT = ['-o, --output <format>', 'table or json', parseFormat, 'table'] as const;

interface AddOptions {
  connUri?: string; connType?: string; connHost?: string; connLogin?: string; connPassword?: string;
  connPort?: string; connSchema?: string; connExtra?: string; connDescription?: string;
}

const FIELD_OPTIONS = ['connType', 'connHost', 'connLogin', 'connPassword', 'connPort', 'connSchema'] as const;

/** The fields of `connections add`: from --conn-uri, or from --conn-type and the other --conn-* options. */
export function connectionFieldsOf(o: AddOptions): ConnectionFields {
  let fields: ConnectionFields;
  if (o.connUri !== undefined) {
    if (FIELD_OPTIONS.some((f) => o[f] !== undefined)) {
      throw new UserInputError('--conn-uri cannot be combined with --conn-type, --conn-host, --conn-login, --conn-password, --conn-port or --conn-schema');
    }
    fields = parseConnectionUri(o.connUri);
  } else {
    if (o.connType === undefined || o.connType.trim() === '') throw new UserInputError('give --conn-uri, or --conn-type with the other --conn-* options');
    fields = {
      conn_type: normalizeConnType(o.connType.trim()), host: o.connHost ?? null, schema: o.connSchema ?? null,
      login: o.connLogin ?? null, password: o.connPassword ?? null,
      port: o.connPort === undefined ? null : parsePort(o.connPort), extra: null,
    };
  }
  if (o.connExtra !== undefined) fields.extra = validateExtra(o.connExtra);
  return fields;
}

const LIST_COLUMNS = ['conn_id', 'conn_type', 'description', 'host', 'port', 'schema', 'login', 'is_encrypted'];
const GET_COLUMNS = ['conn_id', 'conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra', 'is_encrypted'];

export function registerConnectionCommands(program: Command): void {
  const connections = program.command('connections').description('connections read by operators and templates (conn.ID)');

  connections.command('add <conn_id>').description('add a connection (an existing conn_id is an error)')
    .option('--conn-uri <uri>', 'type://login:password@host:port/schema?extra_key=value (parts percent-encoded)')
    .option('--conn-type <type>', 'the connection type (postgres, http, ...)')
    .option('--conn-host <host>', 'host')
    .option('--conn-login <login>', 'login')
    .option('--conn-password <password>', 'password (encrypted at rest when UPDRAFT_FERNET_KEY is set)')
    .option('--conn-port <port>', 'port')
    .option('--conn-schema <schema>', 'schema (for databases: the database name)')
    .option('--conn-extra <json>', 'extra, a JSON object')
    .option('--conn-description <text>', 'a description')
    .action(async (connId: string, o: AddOptions) => withRuntime(async (rt) => {
      const fields = connectionFieldsOf(o);
      await addConnection(rt.db, { conn_id: connId, description: o.connDescription ?? null, ...fields }, rt.config.fernetKey);
      await recordEvent(rt.db, { event: 'cli_connections_add', owner: cliOwner(), extra: { conn_id: connId, conn_type: fields.conn_type } });
      process.stdout.write(`Successfully added conn_id=${connId} (type ${fields.conn_type})\n`);
    }));

  connections.command('get <conn_id>').description('show a connection (password masked)').option(...OUTPUT)
    .action(async (connId: string, o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const conn = await getStoredConnection(rt.db, connId, rt.config.fernetKey);
      if (!conn) throw new UserInputError(`connection "${connId}" does not exist (see \`updraft connections list\`)`);
      printRows([maskedConnection(conn)], GET_COLUMNS, o.output);
    }));

  connections.command('delete <conn_id>').description('delete a connection')
    .action(async (connId: string) => withRuntime(async (rt) => {
      if (!(await deleteConnection(rt.db, connId))) throw new UserInputError(`connection "${connId}" does not exist`);
      await recordEvent(rt.db, { event: 'cli_connections_delete', owner: cliOwner(), extra: { conn_id: connId } });
      process.stdout.write(`Successfully deleted connection with conn_id=${connId}\n`);
    }));

  connections.command('list').description('every connection, without passwords or extras').option(...OUTPUT)
    .action(async (o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const list = await listConnections(rt.db);
      printRows(list as unknown as Array<Record<string, unknown>>, LIST_COLUMNS, o.output);
    }));
}
