// Hostile service options, one fixture each under test/fixtures/compose/hostile/, named by what it
// tries. Every one must be refused with the service key named; the allowed forms must load.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ComposeError } from '../../../../shared/compose/compose-error.js';
import { loadCompose } from '../../../../shared/compose/load.js';
import type { PolicyAllow } from '../../../../shared/policy/policy.js';
import { FIXTURES } from './fixture.js';

const DIR = path.join(FIXTURES, 'hostile');
const names = readdirSync(DIR).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4)).sort();

const load = (text: string, allow: PolicyAllow = {}) => loadCompose({ files: [{ file: 'infra/docker-compose.yml', text }], projectDir: 'infra', processEnv: {}, allow });

t.test('at least 60 hostile variants', async (t) => { t.ok(names.length >= 60, `${names.length} variants`); });

for (const name of names) {
  t.test(name, async (t) => {
    const text = readFileSync(path.join(DIR, `${name}.yml`), 'utf8');
    const key = /^ {4}([a-z_]+):/m.exec(text.split('\n').slice(3).join('\n'))?.[1];
    let err: unknown;
    try { load(text); } catch (e) { err = e; }
    t.ok(err instanceof ComposeError, 'refused');
    const problems = (err as ComposeError).problems ?? [];
    t.ok(problems.some((p) => p.file === 'infra/docker-compose.yml' && p.line !== undefined && p.path?.startsWith(`services.web.${key}`)), `names services.web.${key}: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
  });
}

const svc = (lines: string) => `services:\n  web:\n    image: example.invalid/web:1\n${lines}\n`;

t.test('allowed: relative read-only binds inside infra/, policy-allowed paths, tmpfs, defaults', async (t) => {
  const ok = load(svc('    volumes: ["./conf:/c", "./conf/app.ini:/app.ini:ro", {type: bind, source: ./data, target: /d}, {type: tmpfs, target: /tmp}]\n    cap_add: [NET_BIND_SERVICE]\n    security_opt: [no-new-privileges:true]'));
  const vols = (ok.model.services as Record<string, { volumes: { source?: string }[] }>).web.volumes;
  t.strictSame(vols.map((v) => v.source), ['infra/conf', 'infra/conf/app.ini', 'infra/data', undefined]);
  t.doesNotThrow(() => load(svc('    volumes: ["/srv/data/x:/x"]'), { bind_mounts: ['/srv/data'] }));
  t.doesNotThrow(() => load(svc('    volumes: ["/srv/data:/x:rw"]'), { bind_mounts: [{ path: '/srv/data', read_only: false }] }));
  t.doesNotThrow(() => load(svc('    pid: host\n    cap_add: [SYS_ADMIN]\n    devices: ["/dev/ttyUSB0"]'), { host_namespaces: ['pid'], capabilities: ['SYS_ADMIN'], devices: ['/dev/ttyUSB0'] }));
});

t.test('policy allowances are exact: case, writable and below-writable paths', async (t) => {
  t.throws(() => load(svc('    volumes: ["/SRV/data:/x"]'), { bind_mounts: ['/srv/data'] }), /exposes the host/);
  t.throws(() => load(svc('    volumes: ["/srv/data:/x:rw"]'), { bind_mounts: ['/srv/data'] }), /allows \/srv\/data read-only/);
  t.throws(() => load(svc('    volumes: ["/srv/data/sub:/x:rw"]'), { bind_mounts: [{ path: '/srv/data', read_only: false }] }), /symlink/);
  t.throws(() => load(svc('    volumes: ["/srv/data/../../etc:/x"]'), { bind_mounts: ['/srv/data'] }), /\/etc/);
});

t.test('ignored options are announced as warnings, not dropped silently', async (t) => {
  const r = load(svc('    container_name: x\n    tty: true'));
  t.match(r.warnings.join('\n'), /services\.web\.container_name is ignored/);
  t.match(r.warnings.join('\n'), /services\.web\.tty is ignored/);
});
