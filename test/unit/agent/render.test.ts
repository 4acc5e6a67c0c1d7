// Who may allow hostile options: for master and previews, production's infra/autoinfra.yml, never
// the commit's own (a writer of master could otherwise grant itself privileged mode or host binds).
import t from 'tap';
import { renderAt } from '../../../agent/render.js';
import { environmentFor, type EnvironmentKind } from '../../../agent/environment.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const COMPOSE = 'services:\n  cron:\n    image: example.invalid/cron:1\n    privileged: true\n';
const ALLOW = 'allow:\n  privileged: true\n';

/** An in-memory source: commit → files. */
function source(commits: Record<string, Record<string, string>>) {
  return {
    readTree: async (commit: string, prefix: string) => new Map(Object.entries(commits[commit] ?? {}).filter(([p]) => p.startsWith(prefix)).map(([p, v]) => [p, enc(v)] as [string, Uint8Array])),
  };
}
const env = (kind: EnvironmentKind) => environmentFor({ kind, branch: kind, ref: `refs/heads/${kind}` }, 'h1');

t.test("master cannot allow itself what production's policy does not", async (t) => {
  const src = source({
    prod: { 'infra/docker-compose.yml': 'services:\n  web:\n    image: example.invalid/web:1\n' },
    m1: { 'infra/docker-compose.yml': COMPOSE, 'infra/autoinfra.yml': ALLOW },
  });
  await t.rejects(renderAt({ source: src, host: 'h1', ageIdentities: [], productionHead: () => 'prod' }, env('master'), 'm1'), { code: 'E_COMPOSE', message: /services\.cron\.privileged/ }, "the commit's own allow: is ignored");
  await t.rejects(renderAt({ source: src, host: 'h1', ageIdentities: [] }, env('master'), 'm1'), { message: /services\.cron\.privileged/ }, 'production unknown: nothing is allowed');
  const prodAllows = source({ prod: { 'infra/docker-compose.yml': 'services: {}\n', 'infra/autoinfra.yml': ALLOW }, m1: { 'infra/docker-compose.yml': COMPOSE } });
  const s = await renderAt({ source: prodAllows, host: 'h1', ageIdentities: [], productionHead: () => 'prod' }, env('master'), 'm1');
  t.equal(s.services.cron.extra.privileged, true, "production's allow: governs master");
  const badPolicy = source({ prod: { 'infra/autoinfra.yml': 'alow: {}\n' }, m1: { 'infra/docker-compose.yml': COMPOSE } });
  await t.rejects(renderAt({ source: badPolicy, host: 'h1', ageIdentities: [], productionHead: () => 'prod' }, env('master'), 'm1'), { message: /infra\/autoinfra\.yml on production \(prod\)/ }, "a problem in production's policy names where it came from");
});

t.test("production's own commit governs production", async (t) => {
  const src = source({ p2: { 'infra/docker-compose.yml': COMPOSE, 'infra/autoinfra.yml': ALLOW } });
  const s = await renderAt({ source: src, host: 'h1', ageIdentities: [], productionHead: () => 'p1' }, env('production'), 'p2');
  t.equal(s.services.cron.extra.privileged, true);
});

t.test("external volumes and networks: master may use only what production lists; no one may use another environment's", async (t) => {
  const compose = 'services:\n  web:\n    image: example.invalid/web:1\n    volumes: [data:/data]\n    networks: [back]\nvolumes:\n  data: {external: true, name: ai-production_data}\nnetworks:\n  back: {external: true, name: shared-net}\n';
  const src = (policy?: string) => source({ prod: policy ? { 'infra/autoinfra.yml': policy } : {}, m1: { 'infra/docker-compose.yml': compose }, p1: { 'infra/docker-compose.yml': compose } });
  const ctx = (policy?: string) => ({ source: src(policy), host: 'h1', ageIdentities: [], productionHead: () => 'prod' });
  const err = await renderAt(ctx(), env('master'), 'm1').then(() => undefined, (e: Error) => e);
  t.match(err?.message, /volumes\.data\.external: external volume "ai-production_data" belongs to another environment/, "production's own volume");
  t.match(err?.message, /networks\.back\.external: external network "shared-net" is not listed in allow\.external_networks/);
  const allowed = await renderAt(ctx('allow:\n  external_networks: [shared-net]\n  external_volumes: [ai-production_data]\n'), env('master'), 'm1').then(() => undefined, (e: Error) => e);
  t.match(allowed?.message, /belongs to another environment/, "even production's policy cannot hand master production's own objects");
  t.notMatch(allowed?.message, /shared-net/, 'a listed network is allowed');
  const prod = await renderAt(ctx(), env('production'), 'p1');
  t.equal(prod.volumes.data.name, 'ai-production_data', 'production may name its own objects and any other external name');
});
