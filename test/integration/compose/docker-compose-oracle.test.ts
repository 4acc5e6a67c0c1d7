// Debian's docker-compose 1.29.2 as a (partial) oracle: for every merge fixture it can read, its
// `config` output and ours must describe the same services. The projection below compares what
// both print in comparable form; fixtures that use what 1.29.2 does not implement the way the
// Compose Specification (and compose-go) does are listed in SKIP with the reason.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadCompose } from '../../../shared/compose/load.js';
import { normalisePort, normaliseVolume } from '../../../shared/compose/normalise.js';
import { splitShellWords } from '../../../shared/compose/shell-words.js';
import { exec } from '../../helpers/exec.js';
import { FIXTURES } from '../../unit/shared/compose/fixture.js';

const SKIP: Record<string, string> = {
  'reset-tag': '1.29.2 rejects the !reset tag',
  'override-tag': '1.29.2 rejects the !override tag',
  'extends-other-file': '1.29.2 checks that the env_file and build context of the extended file exist',
  'build-and-logging': '1.29.2 validates each file alone (an override giving only ulimits.nofile.soft fails); compose-go validates the merged model',
  'interpolation-operators': '1.29.2 lacks ${VAR:+x} and ${VAR+x} (interpolation-defaults covers the rest)',
};

type Obj = Record<string, unknown>;
const have = await exec('docker-compose', ['version', '--short'], { allowFail: true }).then((r) => r.code === 0, () => false);

const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) for (const s of v) { const [k, ...rest] = String(s).split(/[=:]/); out[k] = rest.join(':'); }
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = x === null ? '' : String(x);
  return out;
};

/** The comparable view of one service, from either tool's output. */
function project(s: Obj, dir: string): Obj {
  const ports = (Array.isArray(s.ports) ? s.ports : []).flatMap((p) => normalisePort(p)).map((p) => `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol ?? 'tcp'}`).sort();
  const volumes = (Array.isArray(s.volumes) ? s.volumes : []).map((v) => normaliseVolume(v, { projectDir: dir, lookup: () => undefined }))
    .map((v) => `${v.type}:${v.source ?? ''}:${v.target}:${v.read_only ? 'ro' : 'rw'}`).sort();
  const secrets = (Array.isArray(s.secrets) ? s.secrets : []).map((x) => (typeof x === 'string' ? { source: x } : x as Obj))
    .map((x) => `${x.source}:${x.target ?? ''}:${x.mode ?? ''}`).sort();
  const hc = s.healthcheck as Obj | undefined;
  // 1.29.2 prints string commands as written; the spec's form is the shell-split word list.
  const words = (v: unknown): unknown => (typeof v === 'string' ? splitShellWords(v) : v);
  const test = typeof hc?.test === 'string' ? ['CMD-SHELL', hc.test] : hc?.test;
  return {
    image: s.image, command: words(s.command), entrypoint: words(s.entrypoint), restart: s.restart,
    environment: strMap(s.environment), labels: strMap(s.labels), extra_hosts: strMap(s.extra_hosts),
    cap_add: (s.cap_add as string[] | undefined)?.slice().sort(), dns: s.dns, expose: (s.expose as unknown[] | undefined)?.map(String).sort(),
    ports, volumes, secrets,
    depends_on: Object.keys(Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, 1])) : (s.depends_on as Obj | undefined) ?? {}).sort(),
    healthcheck_test: test, ulimits: s.ulimits, logging: s.logging,
  };
}

function unescapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$\$/g, '$');
  if (Array.isArray(v)) return v.map(unescapeDollars);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeDollars(x)]));
  return v;
}

const cases = readdirSync(FIXTURES).filter((c) => existsSync(path.join(FIXTURES, c, 'expected.json')));

t.test('docker-compose 1.29.2 agrees', { skip: have ? false : 'docker-compose is not installed (apt-get install docker-compose)' }, async (t) => {
  let compared = 0;
  for (const c of cases) {
    if (SKIP[c]) continue;
    const dir = path.join(FIXTURES, c);
    const files = ['base.yml', 'overlay.yml'].filter((f) => existsSync(path.join(dir, f)));
    const processEnv = existsSync(path.join(dir, 'process-env.json')) ? JSON.parse(readFileSync(path.join(dir, 'process-env.json'), 'utf8')) as Record<string, string> : {};
    const envArgs = existsSync(path.join(dir, 'dotenv')) ? ['--env-file', path.join(dir, 'dotenv')] : [];
    const r = await exec('docker-compose', [...envArgs, '--project-directory', dir, ...files.flatMap((f) => ['-f', path.join(dir, f)]), 'config'],
      { env: { PATH: process.env.PATH, ...processEnv }, allowFail: true, cwd: dir });
    t.equal(r.code, 0, `${c}: docker-compose config runs (${r.stderr.trim().split('\n').pop()})`);
    if (r.code !== 0) continue;
    // Like `docker compose config`, 1.29.2 prints a literal $ as $$ so its output can be loaded again.
    const theirs = unescapeDollars(parse(r.stdout)) as Obj;
    const ours = loadCompose({
      files: files.map((f) => ({ file: path.join(dir, f), text: readFileSync(path.join(dir, f), 'utf8') })),
      projectDir: dir, processEnv,
      envFile: envArgs.length ? { file: envArgs[1], text: readFileSync(envArgs[1], 'utf8') } : undefined,
      readFile: (f) => (existsSync(f) ? readFileSync(f, 'utf8') : undefined),
    }).model;
    const names = Object.keys(ours.services as Obj).sort();
    t.strictSame(Object.keys(theirs.services as Obj).sort(), names, `${c}: same services`);
    for (const n of names) {
      t.strictSame(project((ours.services as Record<string, Obj>)[n], dir), project((theirs.services as Record<string, Obj>)[n], dir), `${c}: service ${n}`);
    }
    compared++;
  }
  t.ok(compared >= 10, `compared ${compared} fixtures with docker-compose`);
});
