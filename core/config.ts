/**
 * Configuration, read from the environment when a component starts (never at import
 * time) and passed explicitly from there. Every variable is listed in the README.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UserInputError } from './errors.ts';

export interface Config {
  /** UPDRAFT_HOME: private services' data, logs and generated files. */
  home: string;
  /** UPDRAFT_DAGS_FOLDER: where DAG files live. */
  dagsFolder: string;
  /** UPDRAFT_DATABASE_URL, or the project-private PostgreSQL on UPDRAFT_PG_PORT. */
  databaseUrl: string;
  /** UPDRAFT_REDIS_URL, or the project-private Redis on UPDRAFT_REDIS_PORT. */
  redisUrl: string;
  /**
   * UPDRAFT_KAFKA_BROKERS: comma-separated host:port list for Kafka clients, default the
   * project-private broker of scripts/kafka.sh on UPDRAFT_KAFKA_PORT (loopback).
   */
  kafkaBrokers: string[];
  /**
   * UPDRAFT_TEMPORAL_ADDRESS: `host:port` of the Temporal frontend (gRPC) that runs durable
   * steps, default the project-private dev server of scripts/temporal.sh on
   * UPDRAFT_TEMPORAL_PORT (loopback, 17233).
   */
  temporalAddress: string;
  /** UPDRAFT_TEMPORAL_NAMESPACE (default `default`): the namespace of Updraft's workflows. */
  temporalNamespace: string;
  /** UPDRAFT_TEMPORAL_TASK_QUEUE (default `updraft-durable`): the task queue Updraft's Temporal workers poll. */
  temporalTaskQueue: string;
  /**
   * UPDRAFT_TEMPORAL_UI_URL: base URL of a Temporal web UI (no trailing slash), used to link
   * a task instance to its workflow. Unset: null, no link (the private server is headless).
   */
  temporalUiUrl: string | null;
  /**
   * UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT (seconds, default 10): a durable step's attempt whose
   * worker sent no heartbeat for this long is retried elsewhere (the cost of a worker dying).
   */
  temporalHeartbeatTimeoutMs: number;
  /** UPDRAFT_QUEUE_PREFIX: BullMQ key prefix; tests use a unique one each. */
  queuePrefix: string;
  /** UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION (default false: new DAGs run at once). */
  dagsArePausedAtCreation: boolean;
  /** UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT (seconds): parse time limit per file. */
  parseTimeoutMs: number;
  /** UPDRAFT_SCHEDULER_IDLE_SLEEP (seconds): longest sleep of an idle scheduler loop. */
  schedulerIdleSleepMs: number;
  /** UPDRAFT_HEARTBEAT_INTERVAL (seconds): how often components and workers heartbeat. */
  heartbeatIntervalMs: number;
  /** UPDRAFT_ZOMBIE_THRESHOLD (seconds): a running task whose worker is silent this long is a zombie. */
  zombieThresholdMs: number;
  /** UPDRAFT_QUEUED_CHECK_AFTER (seconds): a queued task older than this has its job checked. */
  queuedCheckAfterMs: number;
  /** UPDRAFT_LOG_LEVEL: pino level for component logs. */
  logLevel: string;
  /**
   * UPDRAFT_FERNET_KEY: encrypts variable values and connection passwords/extras at rest
   * (Airflow's fernet_key; comma-separated keys rotate). Unset: stored in plain text.
   */
  fernetKey?: string;
  /** UPDRAFT_API_PORT: the api-server's port (default 8092). */
  apiPort: number;
  /** UPDRAFT_API_HOST: the address it listens on (default 127.0.0.1, loopback only). */
  apiHost: string;
  /**
   * UPDRAFT_API_SECRET_KEY: signs the API's JWTs. Unset: a random key is generated once
   * and kept in UPDRAFT_HOME/api-secret-key, so every api-server on this machine agrees.
   */
  apiSecretKey?: string;
  /** UPDRAFT_API_TOKEN_EXPIRY (seconds): how long a token from /auth/token is valid. */
  apiTokenExpiryMs: number;
  hostname: string;
}

const seconds = (def: number) =>
  z.coerce.number().nonnegative().default(def).transform((s) => Math.round(s * 1000));
const bool = (def: boolean) =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  UPDRAFT_HOME: z.string().default('.updraft'),
  UPDRAFT_DAGS_FOLDER: z.string().default('dags'),
  UPDRAFT_DATABASE_URL: z.string().optional(),
  UPDRAFT_REDIS_URL: z.string().optional(),
  UPDRAFT_PG_PORT: z.coerce.number().int().min(1).max(65535).default(15432),
  UPDRAFT_REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(16379),
  UPDRAFT_KAFKA_BROKERS: z.string().optional(),
  UPDRAFT_KAFKA_PORT: z.coerce.number().int().min(1).max(65535).default(19092),
  UPDRAFT_TEMPORAL_ADDRESS: z.string().trim().optional(),
  UPDRAFT_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(17233),
  UPDRAFT_TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  UPDRAFT_TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('updraft-durable'),
  // Empty counts as unset, like an empty UPDRAFT_TEMPORAL_ADDRESS.
  // http(s) only: the value becomes a link in the UI.
  UPDRAFT_TEMPORAL_UI_URL: z.string().trim().pipe(z.union([z.literal(''),
    z.string().url().regex(/^https?:\/\//i, 'must be an http:// or https:// URL')])).optional(),
  UPDRAFT_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('updraft'),
  UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: bool(false),
  UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT: seconds(30),
  UPDRAFT_SCHEDULER_IDLE_SLEEP: seconds(1),
  UPDRAFT_HEARTBEAT_INTERVAL: seconds(2),
  UPDRAFT_ZOMBIE_THRESHOLD: seconds(30),
  UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT: seconds(10),
  UPDRAFT_QUEUED_CHECK_AFTER: seconds(10),
  UPDRAFT_LOG_LEVEL: z.string().default('info'),
  UPDRAFT_FERNET_KEY: z.string().optional(),
  UPDRAFT_API_PORT: z.coerce.number().int().min(0).max(65535).default(8092),
  UPDRAFT_API_HOST: z.string().default('127.0.0.1'),
  UPDRAFT_API_SECRET_KEY: z.string().optional(),
  UPDRAFT_API_TOKEN_EXPIRY: seconds(86400),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserInputError(`invalid configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    home: path.resolve(e.UPDRAFT_HOME),
    dagsFolder: path.resolve(e.UPDRAFT_DAGS_FOLDER),
    databaseUrl: e.UPDRAFT_DATABASE_URL ?? `postgres://updraft@127.0.0.1:${e.UPDRAFT_PG_PORT}/updraft`,
    redisUrl: e.UPDRAFT_REDIS_URL ?? `redis://127.0.0.1:${e.UPDRAFT_REDIS_PORT}`,
    kafkaBrokers: (e.UPDRAFT_KAFKA_BROKERS ?? `127.0.0.1:${e.UPDRAFT_KAFKA_PORT}`)
      .split(',').map((b) => b.trim()).filter((b) => b !== ''),
    temporalAddress: e.UPDRAFT_TEMPORAL_ADDRESS || `127.0.0.1:${e.UPDRAFT_TEMPORAL_PORT}`,
    temporalNamespace: e.UPDRAFT_TEMPORAL_NAMESPACE,
    temporalTaskQueue: e.UPDRAFT_TEMPORAL_TASK_QUEUE,
    temporalUiUrl: e.UPDRAFT_TEMPORAL_UI_URL?.replace(/\/+$/, '') || null,
    temporalHeartbeatTimeoutMs: e.UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT,
    queuePrefix: e.UPDRAFT_QUEUE_PREFIX,
    dagsArePausedAtCreation: e.UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION,
    parseTimeoutMs: e.UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT,
    schedulerIdleSleepMs: e.UPDRAFT_SCHEDULER_IDLE_SLEEP,
    heartbeatIntervalMs: e.UPDRAFT_HEARTBEAT_INTERVAL,
    zombieThresholdMs: e.UPDRAFT_ZOMBIE_THRESHOLD,
    queuedCheckAfterMs: e.UPDRAFT_QUEUED_CHECK_AFTER,
    logLevel: e.UPDRAFT_LOG_LEVEL,
    fernetKey: e.UPDRAFT_FERNET_KEY?.trim() || undefined,
    apiPort: e.UPDRAFT_API_PORT,
    apiHost: e.UPDRAFT_API_HOST,
    apiSecretKey: e.UPDRAFT_API_SECRET_KEY?.trim() || undefined,
    apiTokenExpiryMs: e.UPDRAFT_API_TOKEN_EXPIRY,
    hostname: os.hostname(),
  };
}
