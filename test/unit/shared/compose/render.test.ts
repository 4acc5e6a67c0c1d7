import t from 'tap';
import { ComposeError } from '../../../../shared/compose/compose-error.js';
import { redactStack, renderStack, type RenderInput } from '../../../../shared/compose/render.js';
import { encryptAge, generateAgeKeyPair } from '../../../../shared/secrets/age.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const kp = await generateAgeKeyPair();

const BASE = `
x-autoinfra:
  drain: 3s
services:
  web:
    build: ../app
    env_file: [./secrets/web.env.age]
    environment:
      PLAIN: x
      OVERRIDDEN: plain
    secrets: [db_pw]
    depends_on: [db, worker]
    x-autoinfra:
      route: {hosts: [app.example.com], port: 8080}
  worker:
    image: example.invalid/worker:1
    env_file: ./plain.env
    x-autoinfra: {hosts: [other-host]}
  db:
    image: example.invalid/db:1
    secrets: [db_pw]
    volumes: [data:/var/lib/db]
    healthcheck: {test: pg_isready, interval: 5s}
    x-autoinfra: {strategy: recreate}
  cron:
    image: example.invalid/cron:1
volumes:
  data:
    x-autoinfra: {seed: production}
secrets:
  db_pw: {file: ./secrets/db.age}
`;

async function files(over: Record<string, string | Uint8Array> = {}): Promise<Map<string, Uint8Array>> {
  const m = new Map<string, Uint8Array>([
    ['infra/docker-compose.yml', enc(BASE)],
    ['infra/docker-compose-env-production.yml', enc('services: {web: {environment: {MODE: production}}}')],
    ['infra/docker-compose-env-preview.yml', enc('services: {web: {environment: {MODE: preview}}}')],
    ['infra/plain.env', enc('P=1\n')],
    ['infra/secrets/web.env.age', await encryptAge(enc('TOKEN=s3cret-token\nOVERRIDDEN=secret\n'), [kp.recipient])],
    ['infra/secrets/db.age', await encryptAge(enc('db-password'), [kp.recipient], { armored: true })],
    ['app/Dockerfile', enc('FROM scratch\n')],
    ['app/main.js', enc('console.log(1)\n')],
  ]);
  for (const [k, v] of Object.entries(over)) m.set(k, typeof v === 'string' ? enc(v) : v);
  return m;
}

const input = async (over: Partial<RenderInput> = {}, fileOver: Record<string, string | Uint8Array> = {}): Promise<RenderInput> => ({
  files: await files(fileOver), branch: 'production', env: 'production', commit: 'c0ffee'.padEnd(40, '0'), host: 'h1', ageIdentities: [kp.identity], ...over,
});

t.test('renders the stack of an environment on this host', async (t) => {
  const s = await renderStack(await input());
  t.strictSame(Object.keys(s.services).sort(), ['cron', 'db', 'web'], 'worker is placed on another host');
  const web = s.services.web;
  t.equal(web.environment.MODE, 'production', 'production overlay');
  t.equal(web.environment.TOKEN, 's3cret-token', 'decrypted env_file');
  t.equal(web.environment.OVERRIDDEN, 'plain', 'environment: wins over env_file');
  t.strictSame(web.secretEnvironment, ['TOKEN']);
  t.strictSame(Object.keys(web.dependsOn), ['db'], 'dependency on a service placed elsewhere is dropped');
  t.equal(web.build?.context, 'app', 'build context relative to the repo root');
  t.match(web.image, /^autoinfra\/production-web:[0-9a-f]{12}$/);
  t.equal(web.pullPolicy, 'build');
  t.equal(web.x.strategy, 'bluegreen');
  t.equal(web.x.drainMs, 3000, 'top-level x-autoinfra default');
  t.strictSame(web.x.health, { kind: 'http', path: '/', port: 8080, intervalMs: 1000, timeoutMs: 2000, successes: 2, startPeriodMs: 0, deadlineMs: 60000 });
  t.equal(s.services.db.x.strategy, 'recreate');
  t.equal(s.services.db.x.health.kind, 'docker', 'compose healthcheck becomes the gate');
  t.equal(s.services.db.healthcheck?.intervalMs, 5000);
  t.equal(s.services.cron.x.strategy, 'start-first');
  t.equal(s.services.cron.x.health.kind, 'none');
  t.equal(new TextDecoder().decode(s.secrets.db_pw.content), 'db-password');
  t.equal(s.volumes.data.seed, 'production');
  t.equal(s.project, 'production');
  t.equal(s.warnings, undefined, 'no warnings');
  const unset = await renderStack(await input({}, { 'infra/docker-compose-env-production.yml': 'services: {web: {environment: {MODE: "${UNSET_MODE}"}}}' }));
  t.strictSame(unset.warnings, ['The "UNSET_MODE" variable is not set. Defaulting to a blank string.']);
});

t.test('previews use the preview overlay', async (t) => {
  const s = await renderStack(await input({ branch: 'preview/foo', env: 'preview-foo' }));
  t.equal(s.services.web.environment.MODE, 'preview');
  t.match(s.services.web.image, /^autoinfra\/preview-foo-web:/);
});

t.test('a secret change changes the hash of exactly the services using it', async (t) => {
  const a = await renderStack(await input());
  const b = await renderStack(await input({}, { 'infra/secrets/db.age': await encryptAge(enc('new-password'), [kp.recipient]) }));
  t.not(a.services.web.hash, b.services.web.hash);
  t.not(a.services.db.hash, b.services.db.hash);
  t.equal(a.services.cron.hash, b.services.cron.hash);
  const c = await renderStack(await input({}, { 'infra/secrets/web.env.age': await encryptAge(enc('TOKEN=rotated\nOVERRIDDEN=secret\n'), [kp.recipient]) }));
  t.not(a.services.web.hash, c.services.web.hash);
  t.equal(a.services.db.hash, c.services.db.hash);
  const again = await renderStack(await input());
  t.equal(a.services.web.hash, again.services.web.hash, 'deterministic (re-encryption of the same content is not a change)');
});

t.test('a change in the build context changes the image tag', async (t) => {
  const a = await renderStack(await input());
  const b = await renderStack(await input({}, { 'app/main.js': 'console.log(2)\n' }));
  t.not(a.services.web.image, b.services.web.image);
  t.equal(a.services.db.hash, b.services.db.hash);
});

t.test('secret values never appear in errors or redacted output', async (t) => {
  const s = await renderStack(await input());
  const shown = JSON.stringify(redactStack(s));
  t.notOk(shown.includes('s3cret-token'));
  t.notOk(shown.includes('db-password'));
  const withRegistry = JSON.stringify(redactStack({ ...s, registries: { 'reg.example.org': { username: 'ci', password: 'reg-pass-9' } } }));
  t.notOk(withRegistry.includes('reg-pass-9'), 'registry passwords are redacted');
  t.ok(withRegistry.includes('reg.example.org'), 'which registries have credentials is shown');
  const bad = await input({}, { 'infra/secrets/web.env.age': await encryptAge(enc('GOOD=1\nthis line leaks s3cret-token\n'), [kp.recipient]) });
  const err = await renderStack(bad).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ComposeError);
  t.notOk(String((err as Error).message).includes('s3cret'), 'bad secret line is not quoted');
  t.match((err as Error).message, /infra\/secrets\/web\.env\.age line 2/);
});

t.test('no identity or the wrong identity: a clear error naming the file', async (t) => {
  const other = await generateAgeKeyPair();
  await t.rejects(renderStack(await input({ ageIdentities: [other.identity] })), { code: 'E_COMPOSE', message: /infra\/secrets\/db\.age: not encrypted to this host's age recipient/ });
  await t.rejects(renderStack(await input({ ageIdentities: [] })), { message: /no age identity/ });
});

t.test('policy: allow lets a hostile option through; a bad policy is reported', async (t) => {
  const privileged = BASE.replace('image: example.invalid/cron:1', 'image: example.invalid/cron:1\n    privileged: true');
  await t.rejects(renderStack(await input({}, { 'infra/docker-compose.yml': privileged })), { message: /docker-compose\.yml:\d+:\d+: services\.cron\.privileged: privileged mode/ });
  const s = await renderStack(await input({}, { 'infra/docker-compose.yml': privileged, 'infra/autoinfra.yml': 'allow:\n  privileged: true\n' }));
  t.equal(s.services.cron.extra.privileged, true);
  await t.rejects(renderStack(await input({}, { 'infra/autoinfra.yml': 'alow: {}\n' })), { message: /infra\/autoinfra\.yml:1:1: alow: unknown key "alow" \(did you mean "allow"\?\)/ });
  const withDefaults = await renderStack(await input({}, { 'infra/autoinfra.yml': 'defaults:\n  drain: 7s\n  health: {successes: 5}\n' }));
  t.equal(withDefaults.services.web.x.drainMs, 3000, 'stack x-autoinfra beats policy defaults');
  t.equal(withDefaults.services.web.x.health.successes, 5, 'policy default applies');
});

t.test('missing base file', async (t) => {
  const i = await input();
  i.files.delete('infra/docker-compose.yml');
  await t.rejects(renderStack(i), { code: 'E_COMPOSE', message: /infra\/docker-compose\.yml: missing/ });
});

t.test('profiles: a service with profiles runs only when COMPOSE_PROFILES names one', async (t) => {
  const withProfile = BASE.replace('image: example.invalid/cron:1', 'image: example.invalid/cron:1\n    profiles: [jobs]');
  const off = await renderStack(await input({}, { 'infra/docker-compose.yml': withProfile }));
  t.notOk('cron' in off.services);
  const on = await renderStack(await input({ processEnv: { COMPOSE_PROFILES: 'other,jobs' } }, { 'infra/docker-compose.yml': withProfile }));
  t.ok('cron' in on.services);
});

t.test('the complete example of docs/compose.md renders', async (t) => {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { FIXTURES } = await import('./fixture.js');
  const root = `${FIXTURES}/docs-example`;
  const m = new Map<string, Uint8Array>();
  const walk = (d: string): void => { for (const f of readdirSync(`${root}/${d}`)) { const p = d ? `${d}/${f}` : f; if (statSync(`${root}/${p}`).isDirectory()) walk(p); else m.set(p, readFileSync(`${root}/${p}`)); } };
  walk('');
  m.set('infra/secrets/web.env.age', await encryptAge(enc('SESSION_KEY=k\n'), [kp.recipient]));
  m.set('infra/secrets/db_password.age', await encryptAge(enc('pw'), [kp.recipient]));
  const prod = await renderStack({ files: m, branch: 'production', env: 'production', commit: 'a'.repeat(40), host: 'web-1', ageIdentities: [kp.identity] });
  t.strictSame(Object.keys(prod.services).sort(), ['db', 'web', 'worker']);
  t.equal(prod.services.worker.image, 'registry.example.com/worker:1.4');
  t.strictSame(prod.services.web.x.mirror, { enabled: true, methods: ['GET', 'HEAD'], sampleRate: 0.1 });
  t.equal(prod.services.web.x.health.successes, 3);
  t.equal(prod.services.db.x.strategy, 'recreate');
  t.strictSame(prod.services.web.dependsOn, { db: { condition: 'service_healthy', required: true } });
  const preview = await renderStack({ files: m, branch: 'preview/x', env: 'preview-x', commit: 'a'.repeat(40), host: 'web-1', ageIdentities: [kp.identity] });
  t.strictSame(Object.keys(preview.services).sort(), ['db', 'web']);
  t.equal(preview.services.web.environment.LOG_LEVEL, 'debug');
  t.strictSame(preview.services.web.x.route?.hosts, ['*.preview.example.com']);
});

t.test('SOPS files as env_file and as compose secrets', async (t) => {
  const { writeSops } = await import('../secrets/sops-writer.js');
  const compose = `services:
  app:
    image: example.invalid/app:1
    env_file: [./secrets/app.sops.env, ./secrets/more.sops.yaml]
    secrets: [conf]
secrets:
  conf: {file: ./secrets/conf.sops.json}
`;
  const files = new Map<string, Uint8Array>([
    ['infra/docker-compose.yml', enc(compose)],
    ['infra/secrets/app.sops.env', enc(await writeSops({ API_KEY: 'k$1' }, 'dotenv', [kp.recipient]))],
    ['infra/secrets/more.sops.yaml', enc(await writeSops({ EXTRA: 'e', nested: { skipped: 'x' } }, 'yaml', [kp.recipient]))],
    ['infra/secrets/conf.sops.json', enc(await writeSops({ a: 1 }, 'json', [kp.recipient]))],
  ]);
  const s = await renderStack({ files, branch: 'master', env: 'master', commit: 'b'.repeat(40), host: 'h', ageIdentities: [kp.identity] });
  t.strictSame(s.services.app.environment, { API_KEY: 'k$1', EXTRA: 'e' });
  t.strictSame(s.services.app.secretEnvironment, ['API_KEY', 'EXTRA']);
  t.strictSame(JSON.parse(new TextDecoder().decode(s.secrets.conf.content)), { a: 1 });
  const tampered = new Map(files);
  tampered.set('infra/secrets/conf.sops.json', enc(new TextDecoder().decode(files.get('infra/secrets/conf.sops.json')).replace('"lastmodified": "2026-11-25T12:00:00Z"', '"lastmodified": "2026-11-25T12:00:01Z"')));
  await t.rejects(renderStack({ files: tampered, branch: 'master', env: 'master', commit: 'b'.repeat(40), host: 'h', ageIdentities: [kp.identity] }),
    { code: 'E_COMPOSE', message: /secrets\.conf\.file: cannot decrypt SOPS file infra\/secrets\/conf\.sops\.json/ });
});

t.test('buildContextsOf names the directories a caller must read besides infra/', async (t) => {
  const { buildContextsOf } = await import('../../../../shared/compose/render.js');
  t.strictSame(buildContextsOf({ files: await files(), branch: 'production', env: 'production' }), ['app']);
  t.strictSame(buildContextsOf({ files: new Map(), branch: 'production', env: 'production' }), []);
});

t.test('secrets are shown and hashed by a keyed fingerprint, never the plain sha256 of the value (issue 13: a weak secret could be guessed offline)', async (t) => {
  const { createHash } = await import('node:crypto');
  const sha = (v: string): string => createHash('sha256').update(v).digest('hex');
  const k1 = new Uint8Array(32).fill(1);
  const k2 = new Uint8Array(32).fill(2);
  const a = await renderStack(await input({ fingerprintKey: k1 }));
  const shown = JSON.stringify(redactStack(a, k1));
  for (const v of ['s3cret-token', 'db-password']) {
    t.notOk(shown.includes(sha(v).slice(0, 12)), `no sha256 of ${v} in render output`);
    t.notOk(JSON.stringify(a.services).includes(sha(v).slice(0, 12)), `no sha256 of ${v} in the services`);
  }
  t.notOk(Object.values(a.secrets).some((s) => s.hash === createHash('sha256').update(s.content).digest('hex')), 'secret files are not named by their plain sha256');
  t.match(shown, /<secret hmac:[0-9a-f]{12}>/);
  const again = await renderStack(await input({ fingerprintKey: k1 }));
  t.equal(again.services.web.hash, a.services.web.hash, 'same key: same hash (no redeploy on restart)');
  const other = await renderStack(await input({ fingerprintKey: k2 }));
  t.not(other.services.web.hash, a.services.web.hash, 'the service hash the log publishes depends on the host key, so it is no oracle for the secret');
  t.equal(other.services.cron.hash, a.services.cron.hash, 'services without secrets hash the same everywhere');
});
