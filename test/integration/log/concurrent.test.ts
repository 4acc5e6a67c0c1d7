// 8 agents, each its own process, × 50 actions against one repo at once: every line lands once,
// every chain verifies, history is linear and no push ever rewrote the branch.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import { keyId } from '../../../shared/log/keys.js';
import { verifyHostFile } from '../../../shared/log/verify.js';
import { startWorker } from './worker.js';

const AGENTS = 8;
const ACTIONS = 50;

t.test(`${AGENTS} agents × ${ACTIONS} actions push concurrently`, async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.git('app', ['config', 'core.logAllRefUpdates', 'always']);
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const root = mkdtempSync(path.join(tmpdir(), 'ai-log-conc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const keys = new Map<string, string>();
  const started = Date.now();
  const workers = Array.from({ length: AGENTS }, (_, i) => {
    const host = `host-${i}`;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    keys.set(host, keyId(publicKey));
    return startWorker({ MODE: 'agent', DIR: path.join(root, host), HOST: host, KEY_PEM: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, URL: server.url('app'), COUNT: String(ACTIONS), BATCH_MS: '20' });
  });
  const killer = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), 90_000);
  const codes = await Promise.all(workers.map((w) => w.done));
  clearTimeout(killer);
  t.same(codes, workers.map(() => 0), 'every agent finished');
  if (codes.some((c) => c !== 0)) t.comment(workers.map((w) => w.stderr()).join('\n').slice(0, 3000));
  t.comment(`all pushed in ${Date.now() - started} ms`);

  for (const [host, key] of keys) {
    const text = (await server.show('app', 'deploy-log', `hosts/${host}.jsonl`)) + '\n';
    const r = verifyHostFile(`hosts/${host}.jsonl`, text, { pinned: [key] });
    t.same({ ok: r.ok, lines: r.lines, problem: r.problem }, { ok: true, lines: ACTIONS, problem: undefined }, `${host}: ${ACTIONS} lines, chain and signatures valid`);
  }
  const parents = (await server.git('app', ['rev-list', '--parents', 'deploy-log'])).split('\n').map((l) => l.split(' ').length - 1);
  t.ok(parents.every((n) => n <= 1) && parents.filter((n) => n === 0).length === 1, `linear history: ${parents.length} commits, one root`);
  const tips = (await server.git('app', ['reflog', 'show', '--format=%H', 'refs/heads/deploy-log'])).split('\n').reverse();
  let ff = true;
  for (let i = 1; i < tips.length; i++) {
    const r = await server.git('app', ['merge-base', '--is-ancestor', tips[i - 1], tips[i]]).then(() => true, () => false);
    if (!r) { ff = false; t.comment(`not a fast-forward: ${tips[i - 1]} → ${tips[i]}`); }
  }
  t.ok(ff && tips.length === parents.length, `every update was a fast-forward (${tips.length} ref updates)`);
  const readme = await server.show('app', 'deploy-log', 'README.md');
  for (const host of keys.keys()) t.match(readme, new RegExp(`\\| ${host} \\| production \\| [0-9a-f]{12} \\|`), `README has ${host}'s production row`);
});
