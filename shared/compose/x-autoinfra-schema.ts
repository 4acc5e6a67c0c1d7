// Schema of our compose extension, `x-autoinfra:` (per service, per volume, and top-level
// defaults). Every key is optional in a single file because files merge; what must be present
// after the merge (route.port, route.hosts, ...) is checked on the merged model.
import { duration as durationSchema } from './duration-schema.js';

const hostname = { type: 'string', pattern: '^(\\*\\.)?[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$', description: 'a host name such as app.example.com or *.example.com' };
const portNumber = { type: 'integer', minimum: 1, maximum: 65535 };
const strict = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, additionalProperties: false, ...extra });

export const routeSchema = strict({
  hosts: { type: 'array', items: hostname, minItems: 1 },
  port: portNumber,
  // The edge matches prefixes against normalised request paths (agent/edge/request-target.ts) and
  // refuses a table whose prefix is not in that form: say so at render, naming the key.
  path_prefix: { type: 'string', pattern: "^/$|^(/(?!\\.\\.?(/|$))[A-Za-z0-9._~!$&'()*+,;=:@-]+)+/?$", description: 'a path in normal form such as /api (starting with /; no //, . or .. segments, no % escapes)' },
});

export const healthSchema = strict({
  http: { type: 'string', pattern: '^/', description: 'a path starting with /' },
  port: portNumber,
  command: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] },
  docker: { type: 'boolean' },
  none: { type: 'boolean' },
  interval: durationSchema,
  timeout: durationSchema,
  successes: { type: 'integer', minimum: 1 },
  start_period: durationSchema,
  deadline: durationSchema,
});

export const mirrorSchema = strict({
  enabled: { type: 'boolean' },
  methods: { type: 'array', items: { type: 'string', enum: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] } },
  sample_rate: { type: 'number', minimum: 0, maximum: 1 },
});

const strategy = { enum: ['bluegreen', 'recreate', 'start-first'] };
const hosts = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };

export const xAutoinfraServiceSchema = strict({ route: routeSchema, health: healthSchema, strategy, hosts, mirror: mirrorSchema, drain: durationSchema });
export const xAutoinfraTopSchema = strict({ health: healthSchema, strategy, drain: durationSchema, mirror: mirrorSchema });
export const xAutoinfraVolumeSchema = strict({ seed: { enum: ['production'] } });
