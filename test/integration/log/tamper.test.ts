// A deploy-log writer (push access to the deploy-log branch, no agent key) cutting, emptying,
// deleting or rewriting a host's file, or re-signing it with a retired key: `log verify` and the
// publisher must notice, against a real git http-backend.
import t from 'tap';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitServer, type GitServer } from '../../helpers/git-server.js';
import { runAutoinfra } from '../../helpers/cli.js';
import { exec } from '../../helpers/exec.js';
import { silentLogger } from '../../../agent/logger.js';
import { DeployLog } from '../../../agent/log/deploy-log.js';
import { LogPublisher } from '../../../agent/log/publisher.js';
import { appendEntry } from '../../../shared/log/chain.js';
import type { LogEntry } from '../../../shared/log/entry.js';
import { keyId } from '../../../shared/log/keys.js';

let clockMs = Date.parse('2026-11-25T10:00:00Z');
const clock = { now: () => (clockMs += 1000) };

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(path.join(tmpdir(), 'ai-log-tamper-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Host { log: DeployLog; pub: LogPublisher; key: KeyObject }

async function host(t: { teardown(fn: () => unknown): void }, root: string, server: GitServer, name: string): Promise<Host> {
  const pair = generateKeyPairSync('ed25519');
  const log = await DeployLog.open({ dir: path.join(root, name, 'queue'), host: name, signingKey: pair.privateKey, clock, logger: silentLogger() });
  t.teardown(() => log.close());
  const pub = new LogPublisher({ log, url: server.url('app'), dir: path.join(root, name, 'git'), host: name, clock, logger: silentLogger(), backoffMs: 5 });
  return { log, pub, key: pair.privateKey };
}
const entry = (h: Host, n = 1): Promise<unknown> => Promise.all(Array.from({ length: n }, (_, i) => h.log.append({ env: 'production', action: 'health', result: 'ok', detail: { i } })));
const remoteFile = async (server: GitServer, h: string): Promise<string> => (await server.show('app', 'deploy-log', `hosts/${h}.jsonl`)) + '\n';
const cut = (text: string, lines: number): string => text.split('\n').slice(0, lines).map((l) => l + '\n').join('');

t.test('log verify: missing, truncated, emptied, deleted, rewritten, re-signed with a retired key', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const root = tmp(t);
  const a = await host(t, root, server, 'a');
  const b = await host(t, root, server, 'b');
  const old = generateKeyPairSync('ed25519');
  const [A, B, OLD] = [keyId(a.key), keyId(b.key), keyId(old.publicKey)];
  // a rotated away from OLD before any entry; c is pinned but not started.
  await server.commit('app', 'production', { 'infra/autoinfra.yml': `agents:\n  a:\n    signing_keys:\n      - {key: '${OLD}', until: '2026-11-01T00:00:00Z'}\n      - {key: '${A}', since: '2026-11-01T00:00:00Z'}\n  b: {signing_key: '${B}'}\n  c: {signing_key: '${B}'}\n` });

  await entry(a, 5); await a.pub.flush();
  await entry(b, 2); await b.pub.flush(); // b's round saw a at seq 5 …
  await entry(b); await b.pub.flush(); //     … so b's 3rd entry witnesses it.
  t.match(JSON.parse((await remoteFile(server, 'b')).split('\n')[2]) as LogEntry, { seq: 3, witness: { a: { seq: 5 } } }, 'b witnessed a');
  const good = (await server.head('app', 'deploy-log'))!;
  const reset = (): Promise<string> => server.git('app', ['update-ref', 'refs/heads/deploy-log', good]);
  const cp = path.join(root, 'cp.json');
  const verify = (...extra: string[]): ReturnType<typeof runAutoinfra> => runAutoinfra(['log', 'verify', '--repo', server.url('app'), ...extra]);

  let r = await verify();
  t.equal(r.code, 1, 'c is pinned but has no file');
  t.match(r.stdout, /^FAILED +c +hosts\/c\.jsonl: host "c" is pinned but has no log file: deleted, emptied, or never published \(--allow-missing c/m);
  r = await verify('--allow-missing', 'c', '--checkpoint', cp);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^note +c +pinned but has no entries yet/m);
  t.match(r.stdout, /^ok +history +3 commits, every one only appended/m);
  const saved = readFileSync(cp, 'utf8');
  t.match(JSON.parse(saved), { version: 1, hosts: { a: { seq: 5 }, b: { seq: 3 } } }, 'checkpoint written');

  // 1. The last line of a cut in an ordinary commit: the history shows it; the checkpoint too.
  const aText = await remoteFile(server, 'a');
  const cutCommit = await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': cut(aText, 4) });
  r = await verify('--allow-missing', 'c');
  t.equal(r.code, 1);
  t.match(r.stdout, new RegExp(`^FAILED +history +commit ${cutCommit.slice(0, 12)}: hosts/a\\.jsonl lost 1 line\\(s\\) from its end`, 'm'));
  r = await verify('--allow-missing', 'c', '--checkpoint', cp);
  t.match(r.stdout, /^FAILED +a +hosts\/a\.jsonl:4: ends at seq 4 but the checkpoint .*cp\.json saw seq 5: lines were removed from the end/m);
  t.equal(readFileSync(cp, 'utf8'), saved, 'a failed verification leaves the checkpoint alone');

  // 2. History rewritten from scratch (force-push of one new root commit): the witness shows it.
  const bText = await remoteFile(server, 'b');
  await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': cut(aText, 3), 'hosts/b.jsonl': bText }, { replace: true, parent: null });
  r = await verify('--allow-missing', 'c');
  t.equal(r.code, 1);
  t.match(r.stdout, /^FAILED +a +hosts\/a\.jsonl:3: ends at seq 3 but host b \(hosts\/b\.jsonl:3\) saw seq 5/m);
  t.match(r.stdout, /^ok +history +1 commit,/m, 'a rewritten history is linear; the witness caught it');

  // 3. Emptied, 4. deleted (both as new histories).
  await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': '', 'hosts/b.jsonl': bText }, { replace: true, parent: null });
  t.match((await verify('--allow-missing', 'c')).stdout, /^FAILED +a +hosts\/a\.jsonl: host "a" is pinned but has an empty log file/m);
  await server.commit('app', 'deploy-log', { 'hosts/b.jsonl': bText }, { replace: true, parent: null });
  r = await verify('--allow-missing', 'c,a');
  t.equal(r.code, 1, '--allow-missing does not excuse a file another host witnessed');
  t.match(r.stdout, /^FAILED +a +hosts\/a\.jsonl: file is missing but host b .* saw seq 5: the file was deleted/m);
  r = await verify('--allow-missing', 'c', '--checkpoint', cp);
  t.match(r.stdout, /^FAILED +a +.*deleted|^FAILED +a +.*no log file/m);

  // 5. a's whole history re-signed with the retired key (same times, same content).
  const resigned: string[] = [];
  for (const line of aText.trim().split('\n')) {
    const e = JSON.parse(line) as LogEntry;
    resigned.push(appendEntry({ seq: resigned.length, line: resigned[resigned.length - 1] }, { env: e.env, action: e.action, result: e.result, detail: e.detail }, { host: 'a', key: old.privateKey, keyId: OLD, time: e.time }).line);
  }
  await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': resigned.map((l) => l + '\n').join(''), 'hosts/b.jsonl': bText }, { replace: true, parent: null });
  r = await verify('--allow-missing', 'c');
  t.match(r.stdout, /^FAILED +a +hosts\/a\.jsonl:1: signed by ed25519:\S+, which was retired after 2026-11-01T00:00:00Z/m);

  // A git checkout of the branch: its history is walked too.
  await reset();
  const checkout = path.join(root, 'checkout');
  await exec('git', ['clone', '-q', '-b', 'deploy-log', server.url('app'), checkout]);
  const keys = path.join(root, 'keys.txt');
  await exec('sh', ['-c', `printf 'a ${A}\\nb ${B}\\n' > ${keys}`]);
  r = await runAutoinfra(['log', 'verify', '--dir', checkout, '--keys', keys]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^ok +history +3 commits/m);
  await exec('sh', ['-c', `cd ${checkout} && head -n 4 hosts/a.jsonl > x && mv x hosts/a.jsonl && git -c user.name=x -c user.email=x@x commit -qam cut`]);
  r = await runAutoinfra(['log', 'verify', '--dir', checkout, '--keys', keys]);
  t.equal(r.code, 1);
  t.match(r.stdout, /^FAILED +history +commit [0-9a-f]{12}: hosts\/a\.jsonl lost 1 line/m);
});

t.test('the publisher refuses to publish on top of a remote that lost its own entries', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const root = tmp(t);
  const a = await host(t, root, server, 'a');
  const b = await host(t, root, server, 'b');
  await entry(a, 4); await a.pub.flush();
  await entry(b); await b.pub.flush();
  const good = (await server.head('app', 'deploy-log'))!;
  const aText = await remoteFile(server, 'a');
  const bText = await remoteFile(server, 'b');
  t.ok(existsSync(path.join(root, 'a', 'queue', 'published.json')), 'the publisher keeps its own checkpoint');

  // (The git-server helper cannot delete a path from a bare repo: "deleted" replaces the tree instead.)
  const cases: [string, Record<string, string>, RegExp, boolean?][] = [
    ['truncated', { 'hosts/a.jsonl': cut(aText, 2) }, /ends at seq 2 but this host published up to seq 4: lines were removed/],
    ['emptied', { 'hosts/a.jsonl': '' }, /is empty but this host published up to seq 4: the file was emptied/],
    ['deleted', { 'hosts/b.jsonl': bText }, /is missing but this host published up to seq 4: the file was deleted/, true],
    ['rewritten', { 'hosts/a.jsonl': aText.replace('"i":1', '"i":7') }, /line seq 2 is not the line this host published: the file was rewritten/],
  ];
  for (const [what, files, reason, replace] of cases) {
    await server.git('app', ['update-ref', 'refs/heads/deploy-log', good]);
    const bad = await server.commit('app', 'deploy-log', files, { replace });
    await entry(a);
    const pending = a.pub.pending();
    await t.rejects(a.pub.flush(), { code: 'E_LOG_REMOTE_LOST', message: reason }, what);
    t.equal(await server.head('app', 'deploy-log'), bad, `${what}: nothing pushed on top`);
    t.match(a.pub.status(), { error: { code: 'E_LOG_REMOTE_LOST' } }, `${what}: status names the code`);
    t.ok(a.pub.pending() >= pending, `${what}: entries stay queued`);
  }
  const incident = a.log.entries().find((e) => e.action === 'failed');
  t.match(incident, { env: '-', result: 'failed', detail: { code: 'E_LOG_REMOTE_LOST' } }, 'a signed record of the incident is queued once');

  // Recovery (docs/deploy-log.md): after looking, the operator removes the checkpoint; the
  // publisher re-appends the missing lines on top of what is left (here: the truncated file).
  await server.git('app', ['update-ref', 'refs/heads/deploy-log', good]);
  await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': cut(aText, 2) });
  await t.rejects(a.pub.flush(), { code: 'E_LOG_REMOTE_LOST' });
  unlinkSync(path.join(root, 'a', 'queue', 'published.json'));
  const fresh = new LogPublisher({ log: a.log, url: server.url('app'), dir: path.join(root, 'a', 'git'), host: 'a', clock, logger: silentLogger() });
  await fresh.flush();
  t.equal(await remoteFile(server, 'a'), readFileSync(path.join(root, 'a', 'queue', 'entries.jsonl'), 'utf8'), 'the remote file is the whole queue again');
  t.equal(await remoteFile(server, 'b'), bText);
  t.same(fresh.status().error, undefined);
});
