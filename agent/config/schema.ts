// Schema and defaults of /etc/autoinfra/agent.yml. The one place that knows the config's shape.
import { durationSchema } from '../../shared/duration.js';

export const DEFAULT_CONFIG_PATH = '/etc/autoinfra/agent.yml';

const str = { type: 'string', minLength: 1 } as const;

export const agentConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'repo'],
  properties: {
    host: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'a host name: lowercase letters, digits and dashes (e.g. web-1)' },
    repo: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: str,
        auth: {
          type: 'object',
          additionalProperties: false,
          properties: {
            token_file: str,
            username: str,
            password_file: str,
          },
        },
      },
    },
    branches: {
      type: 'object',
      additionalProperties: false,
      properties: { production: str, master: str },
    },
    previews: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        pattern: str,
        pull_requests: { type: 'boolean' },
      },
    },
    poll: {
      type: 'object',
      additionalProperties: false,
      properties: { interval: durationSchema, max_backoff: durationSchema },
    },
    state_dir: str,
    runtime_dir: str,
    keys: {
      type: 'object',
      additionalProperties: false,
      properties: { signing: str, age: str },
    },
    docker: {
      type: 'object',
      additionalProperties: false,
      properties: { socket: str },
    },
    edge: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'array', items: str },
        tls: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['listen', 'cert', 'key'],
            properties: { listen: str, cert: str, key: str },
          },
        },
        control_socket: str,
        routes_file: str,
        // WebSocket tunnels (docs/edge.md): unset keys keep the edge's defaults (agent/edge/options.ts).
        tunnels: {
          type: 'object',
          additionalProperties: false,
          properties: { idle_timeout: durationSchema, max: { type: 'integer', minimum: 1 }, max_per_client: { type: 'integer', minimum: 1 } },
        },
      },
    },
    api: {
      type: 'object',
      additionalProperties: false,
      // webhook_secret_file: the shared secret of signed webhooks (docs/ci.md); unset = hooks off.
      properties: { listen: str, webhook_secret_file: str },
    },
    registries: {
      type: 'object',
      additionalProperties: false,
      properties: { auth_file: str },
    },
    deploy: {
      type: 'object',
      additionalProperties: false,
      properties: { watch: durationSchema, drift_interval: durationSchema },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        format: { enum: ['text', 'json'] },
        level: { enum: ['error', 'warn', 'info', 'debug'] },
      },
    },
  },
} as const;

/** The config with every default filled in; durations in milliseconds. */
export interface AgentConfig {
  file: string;
  host: string;
  repo: { url: string; auth: { tokenFile?: string; username?: string; passwordFile?: string } };
  branches: { production: string; master: string };
  previews: { enabled: boolean; pattern: string; pullRequests: boolean };
  poll: { intervalMs: number; maxBackoffMs: number };
  stateDir: string;
  runtimeDir: string;
  keys: { signing: string; age: string };
  docker: { socket: string };
  edge: { listen: string[]; tls: { listen: string; cert: string; key: string }[]; controlSocket: string; routesFile: string; tunnels: { idleTimeoutMs?: number; max?: number; maxPerClient?: number } };
  /** webhookSecretFile: the file holding the webhook secret; webhooks answer 404 without it. */
  api: { listen: string; webhookSecretFile?: string };
  /** Docker config.json-format file with registry credentials (`docker login` output). */
  registries: { authFile?: string };
  /** watchMs: post-switch watch window; driftIntervalMs: how often live containers are checked. */
  deploy: { watchMs: number; driftIntervalMs: number };
  log: { format: 'text' | 'json'; level: 'error' | 'warn' | 'info' | 'debug' };
}

/** Defaults, documented in README.md ("agent.yml reference"). Paths under state_dir follow it. */
export const defaults = Object.freeze({
  branches: { production: 'production', master: 'master' },
  previews: { enabled: true, pattern: 'preview/*', pullRequests: false },
  poll: { intervalMs: 15_000, maxBackoffMs: 300_000 },
  stateDir: '/var/lib/autoinfra',
  runtimeDir: '/run/autoinfra',
  keys: { signing: '/etc/autoinfra/keys/signing.key', age: '/etc/autoinfra/keys/age.key' },
  docker: { socket: '/var/run/docker.sock' },
  edge: { listen: [':80'], controlSocket: 'edge.sock' /* under runtime_dir */, routesFile: 'routes.json' /* under state_dir */ },
  api: { listen: '127.0.0.1:7070' },
  deploy: { watchMs: 120_000, driftIntervalMs: 30_000 },
  log: { format: 'text', level: 'info' },
});

export const MIN_POLL_INTERVAL_MS = 1000;
