/**
 * /config: Updraft's configuration (the UPDRAFT_* settings of core/config.ts, as in
 * effect for this api-server) in Airflow's shape: sections of options, as JSON or as
 * text/plain in ini form. Secrets read "< hidden >" as in Airflow: the Fernet key, the
 * API secret key, and the password inside database and Redis URLs (the rest of the URL
 * stays visible, which is what one checks). Admin only.
 */
import type { Request, Response, Router } from 'express';
import type { Config } from '../../core/config.ts';
import { requireRole } from '../auth/middleware.ts';
import { HttpError, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { param } from './params.ts';

export const HIDDEN = '< hidden >';

interface Option { section: string; key: string; env: string; value: (c: Config) => string | undefined; secret?: 'all' | 'url-password' }

const secs = (ms: number) => String(ms / 1000);

/** Option names follow the environment variable (UPDRAFT_DAGS_FOLDER → core.dags_folder). */
const OPTIONS: Option[] = [
  { section: 'core', key: 'home', env: 'UPDRAFT_HOME', value: (c) => c.home },
  { section: 'core', key: 'dags_folder', env: 'UPDRAFT_DAGS_FOLDER', value: (c) => c.dagsFolder },
  { section: 'core', key: 'dags_are_paused_at_creation', env: 'UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION', value: (c) => String(c.dagsArePausedAtCreation) },
  { section: 'core', key: 'fernet_key', env: 'UPDRAFT_FERNET_KEY', value: (c) => c.fernetKey, secret: 'all' },
  { section: 'database', key: 'database_url', env: 'UPDRAFT_DATABASE_URL', value: (c) => c.databaseUrl, secret: 'url-password' },
  { section: 'queue', key: 'redis_url', env: 'UPDRAFT_REDIS_URL', value: (c) => c.redisUrl, secret: 'url-password' },
  { section: 'queue', key: 'queue_prefix', env: 'UPDRAFT_QUEUE_PREFIX', value: (c) => c.queuePrefix },
  { section: 'dag_processor', key: 'dag_file_processor_timeout', env: 'UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT', value: (c) => secs(c.parseTimeoutMs) },
  { section: 'scheduler', key: 'scheduler_idle_sleep', env: 'UPDRAFT_SCHEDULER_IDLE_SLEEP', value: (c) => secs(c.schedulerIdleSleepMs) },
  { section: 'scheduler', key: 'heartbeat_interval', env: 'UPDRAFT_HEARTBEAT_INTERVAL', value: (c) => secs(c.heartbeatIntervalMs) },
  { section: 'scheduler', key: 'zombie_threshold', env: 'UPDRAFT_ZOMBIE_THRESHOLD', value: (c) => secs(c.zombieThresholdMs) },
  { section: 'scheduler', key: 'queued_check_after', env: 'UPDRAFT_QUEUED_CHECK_AFTER', value: (c) => secs(c.queuedCheckAfterMs) },
  { section: 'logging', key: 'log_level', env: 'UPDRAFT_LOG_LEVEL', value: (c) => c.logLevel },
  { section: 'api', key: 'port', env: 'UPDRAFT_API_PORT', value: (c) => String(c.apiPort) },
  { section: 'api', key: 'host', env: 'UPDRAFT_API_HOST', value: (c) => c.apiHost },
  { section: 'api', key: 'secret_key', env: 'UPDRAFT_API_SECRET_KEY', value: (c) => c.apiSecretKey, secret: 'all' },
  { section: 'api', key: 'token_expiry', env: 'UPDRAFT_API_TOKEN_EXPIRY', value: (c) => secs(c.apiTokenExpiryMs) },
];

/** A URL with its password replaced; the whole value hidden if it does not parse. */
function hideUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = 'HIDDEN-PASSWORD';
    return u.toString().replace('HIDDEN-PASSWORD', HIDDEN);
  } catch {
    return HIDDEN;
  }
}

function shown(o: Option, c: Config): string {
  const v = o.value(c);
  if (v === undefined) return '';
  if (o.secret === 'all') return HIDDEN;
  if (o.secret === 'url-password') return hideUrlPassword(v);
  return v;
}

type Sections = Array<{ name: string; options: Array<{ key: string; value: string }> }>;

function sections(c: Config, pick: (o: Option) => boolean): Sections {
  const out: Sections = [];
  for (const o of OPTIONS.filter(pick)) {
    let s = out.find((x) => x.name === o.section);
    if (!s) { s = { name: o.section, options: [] }; out.push(s); }
    s.options.push({ key: o.key, value: shown(o, c) });
  }
  return out;
}

/** JSON unless the client asks for text/plain; 406 for anything else, as Airflow. */
function send(req: Request, res: Response, body: Sections): void {
  const type = req.accepts(['application/json', 'text/plain']);
  if (type === false) throw new HttpError(406, 'Only application/json or text/plain is supported');
  if (type === 'text/plain') {
    res.type('text/plain').send(body.map((s) => `[${s.name}]\n${s.options.map((o) => `${o.key} = ${o.value}\n`).join('')}\n`).join(''));
    return;
  }
  res.json({ sections: body });
}

export function registerConfig(router: Router, r: WebResources): void {
  const admin = requireRole('admin');

  router.get('/config', admin, (req, res) => {
    const section = typeof req.query.section === 'string' ? req.query.section : undefined;
    if (section !== undefined && !OPTIONS.some((o) => o.section === section)) throw notFound(`Section ${section} not found.`);
    send(req, res, sections(r.config, (o) => section === undefined || o.section === section));
  });

  router.get('/config/section/:section/option/:option', admin, (req, res) => {
    const section = param(req, 'section');
    const option = param(req, 'option');
    if (!OPTIONS.some((o) => o.section === section && o.key === option)) throw notFound(`Option [${section}/${option}] not found.`);
    send(req, res, sections(r.config, (o) => o.section === section && o.key === option));
  });
}
