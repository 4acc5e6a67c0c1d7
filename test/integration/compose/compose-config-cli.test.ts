// `autoinfra compose config` as an operator runs it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { runAutoinfra } from '../../helpers/cli.js';
import { FIXTURES } from '../../unit/shared/compose/fixture.js';

t.test('prints the merged model as YAML and JSON', async (t) => {
  const dir = path.join(FIXTURES, 'labels-and-sequences');
  const y = await runAutoinfra(['compose', 'config', '-f', path.join(dir, 'base.yml'), '-f', path.join(dir, 'overlay.yml')]);
  t.equal(y.code, 0, y.stderr);
  const model = parse(y.stdout) as { name: string; services: { app: { labels: Record<string, string> } } };
  t.equal(model.name, 'labels-and-sequences');
  t.strictSame(model.services.app.labels, { 'com.example.team': 'web', 'com.example.tier': 'back', 'com.example.env': 'prod' });
  const j = await runAutoinfra(['compose', 'config', '-f', path.join(dir, 'base.yml'), '--format', 'json']);
  t.equal(j.code, 0);
  t.equal((JSON.parse(j.stdout) as { services: { app: { image: string } } }).services.app.image, 'example.invalid/app:1');
});

t.test('env file, env_file folding, $ escaping and warnings', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cc-'));
  writeFileSync(path.join(dir, 'compose.yml'), 'services:\n  a:\n    image: "x:${TAG}"\n    env_file: [./a.env]\n    environment: {LIT: "$$PATH", U: "${NOPE}"}\n');
  writeFileSync(path.join(dir, 'vars.env'), 'TAG=7\n');
  writeFileSync(path.join(dir, 'a.env'), 'FROM_FILE=1\n');
  const r = await runAutoinfra(['compose', 'config', '-f', path.join(dir, 'compose.yml'), '--env-file', path.join(dir, 'vars.env')], { env: { NOPE: '' } });
  t.equal(r.code, 0, r.stderr);
  const m = parse(r.stdout) as { services: { a: { image: string; environment: Record<string, string> } } };
  t.equal(m.services.a.image, 'x:7');
  t.strictSame(m.services.a.environment, { FROM_FILE: '1', LIT: '$$PATH', U: '' });
  const w = await runAutoinfra(['compose', 'config', '-f', path.join(dir, 'compose.yml')], { env: { NOPE: undefined } });
  t.match(w.stderr, /WARN The "TAG" variable is not set/);
});

t.test('bad input: exit 2, every located problem on stderr, nothing on stdout', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cc-'));
  const f = path.join(dir, 'docker-compose.yml');
  writeFileSync(f, 'services:\n  web:\n    imag: x\n    privileged: true\n  db:\n    image: y\n    ports: ["nope"]\n');
  const r = await runAutoinfra(['compose', 'config', '-f', f]);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, `${f}:3:5: services.web.imag: unknown key "imag" (did you mean "image"?)`);
  t.match(r.stderr, `${f}:7:13: services.db.ports[0]`);
  t.match(r.stderr, /E_COMPOSE/);
  // the hostile-option and missing-image checks run on the merged model once the schema passes
  writeFileSync(f, 'services:\n  web:\n    privileged: true\n');
  const r2 = await runAutoinfra(['compose', 'config', '-f', f]);
  t.match(r2.stderr, `${f}:3:5: services.web: service "web" has neither image nor build`);
  t.match(r2.stderr, `${f}:3:17: services.web.privileged: privileged mode`);
});
