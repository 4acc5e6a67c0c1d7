// Schema of infra/autoinfra.yml, the deployment repo's policy file: who may sign commits, which
// agent keys are trusted, how previews run, stack-wide defaults, and exceptions to the
// hostile-option rules of compose validation.
import type { JsonSchema } from '../schema.js';
import { healthSchema, mirrorSchema } from '../compose/x-autoinfra-schema.js';
import { durationSchema } from '../duration.js';

export const AGE_RECIPIENT_PATTERN = '^age1[02-9ac-hj-np-z]{58}$';
export const ED25519_KEY_ID_PATTERN = '^ed25519:[A-Za-z0-9+/]{43}=$';

const strict = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): JsonSchema => ({ type: 'object', properties, additionalProperties: false, ...extra });

const keyBoundSchema = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT' }], description: "a log line's seq, or an ISO-8601 time" };

export const policySchema: JsonSchema = strict({
  signers: {
    type: 'array',
    description: 'trusted commit signers',
    items: strict({ name: { type: 'string' }, email: { type: 'string' }, key: { type: 'string', minLength: 1, description: 'an SSH public key (ssh-ed25519 …) or an OpenPGP key id / fingerprint' } }, { required: ['key'] }),
  },
  require_signed_commits: { type: 'boolean' },
  agents: {
    type: 'object',
    description: 'agent hosts by name with their public keys',
    additionalProperties: strict({
      signing_key: { type: 'string', pattern: ED25519_KEY_ID_PATTERN, description: 'ed25519:<base64 raw public key> as printed by autoinfra keygen' },
      signing_keys: {
        type: 'array', minItems: 1,
        items: {
          anyOf: [
            { type: 'string', pattern: ED25519_KEY_ID_PATTERN },
            strict({ key: { type: 'string', pattern: ED25519_KEY_ID_PATTERN }, since: keyBoundSchema, until: keyBoundSchema }, { required: ['key'] }),
          ],
        },
        description: 'several keys of one host, e.g. old and new during a key rotation; each may carry a validity window (since/until: a seq or an ISO time, inclusive) so a retired key cannot re-sign history',
      },
      age: { type: 'string', pattern: AGE_RECIPIENT_PATTERN, description: 'an age1… recipient as printed by autoinfra keygen' },
    }),
  },
  previews: strict({
    enabled: { type: 'boolean' },
    branches: { type: 'array', items: { type: 'string' } },
    pull_requests: { type: 'boolean' },
    hosts: { type: 'array', items: { type: 'string' } },
    domain: { type: 'string' },
    ttl: durationSchema,
    max: { type: 'integer', minimum: 0 },
  }),
  defaults: strict({ health: healthSchema, drain: durationSchema, strategy: { enum: ['bluegreen', 'recreate', 'start-first'] }, mirror: mirrorSchema }),
  allow: strict({
    privileged: { type: 'boolean' },
    host_namespaces: { type: 'array', items: { enum: ['network', 'pid', 'ipc', 'uts', 'userns', 'cgroup'] } },
    capabilities: { type: 'array', items: { type: 'string' } },
    devices: { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }] },
    bind_mounts: { type: 'array', items: { type: 'string', pattern: '^/', description: 'an absolute host path' } },
    unconfined: { type: 'boolean' },
  }),
});
