// Reconcile benchmark (issue 6):
//  1. No-op reconcile of a 100-service environment that is already live: ms and Docker Engine API
//     calls (target ≤ 300 ms, 0 writes), against one `GET /containers/json` in the same run.
//  2. Commit → live breakdown for the test app through the real agent and edge processes:
//     detect, fetch+render, pre-flight, start, gate, switch, live.
// Run: node --import tsx bench/reconcile.ts   (needs dockerd; builds the test images)
import { performance } from 'node:perf_hooks';
import { reconcileFixture } from '../test/helpers/reconcile.js';
import { service, stack } from '../test/helpers/stack.js';
import { BASE_IMAGE } from '../test/helpers/images.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { appCompose, testHost } from '../test/helpers/agent-process.js';
import { waitFor } from '../test/helpers/exec.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 100);

async function noopReconcile(): Promise<void> {
  const fx = await reconcileFixture('bench-reconcile');
  try {
    const services = Array.from({ length: SERVICES }, (_, i) => {
      const s = service(`s${String(i).padStart(3, '0')}`, { image: BASE_IMAGE, command: ['sleep', '3600'] });
      s.x.route = undefined;
      s.x.strategy = 'start-first';
      s.x.health = { ...s.x.health, kind: 'none', successes: 1, intervalMs: 50 };
      return s;
    });
    const st = stack('production', 'c1', services);
    let t0 = performance.now();
    const first = await fx.executor.deploy(fx.env, st);
    console.log(`setup: ${SERVICES} services live in ${((performance.now() - t0) / 1000).toFixed(1)} s (${first.result})`);

    // Baseline: one list call to the engine.
    const listTimes: number[] = [];
    for (let i = 0; i < 10; i++) { t0 = performance.now(); await fx.runtime.list('production'); listTimes.push(performance.now() - t0); }
    const list = median(listTimes);

    const times: number[] = [];
    let reads = 0;
    let writes = 0;
    for (let i = 0; i < 10; i++) {
      const before = { ...fx.runtime.calls };
      t0 = performance.now();
      const r = await fx.executor.deploy(fx.env, { ...st, commit: `c${i + 2}` });
      times.push(performance.now() - t0);
      reads += fx.runtime.calls.reads - before.reads;
      writes += fx.runtime.calls.writes - before.writes;
      if (r.result !== 'unchanged') throw new Error(`expected unchanged, got ${r.result}`);
    }
    const drift: number[] = [];
    for (let i = 0; i < 10; i++) { t0 = performance.now(); await fx.executor.repairDrift(fx.env, st); drift.push(performance.now() - t0); }
    const ms = median(times);
    console.log(`no-op reconcile of ${SERVICES} services: median ${ms.toFixed(1)} ms (target ≤ 300), ${reads / 10} API reads and ${writes / 10} writes per reconcile (target 0 writes)`);
    console.log(`  baseline one engine list call: ${list.toFixed(1)} ms → reconcile/list ratio ${(ms / list).toFixed(2)}×`);
    console.log(`  drift check of ${SERVICES} services: median ${median(drift).toFixed(1)} ms (${(median(drift) / list).toFixed(2)}× one list call)`);
  } finally {
    await fx.cleanup();
  }
}

async function commitToLive(): Promise<void> {
  const git = await startGitServer();
  await git.createRepo('app');
  const host = await testHost({ repoUrl: git.url('app'), watch: '0s', pollInterval: '1s' });
  try {
    await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v1') });
    await host.startEdge();
    await host.startAgent();
    await waitFor('v1', async () => (await host.get('web.test')).body === 'v1\n', { timeoutMs: 60_000 });
    const rows: Record<string, number[]> = {};
    for (let i = 2; i <= 4; i++) {
      const t0 = Date.now();
      const commit = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose(`v${i}`) });
      await fetch(`http://127.0.0.1:${host.apiPort}/trigger`, { method: 'POST' });
      await waitFor(`v${i}`, async () => (await host.status()).environments.find((e) => e.env === 'production')?.live?.commit === commit && !(await host.status()).environments.find((e) => e.env === 'production')?.operation, { timeoutMs: 60_000, intervalMs: 20 });
      const entries = await localEntries(host.stateDir, commit);
      const at = (action: string, pick: 'first' | 'last' = 'first') => {
        const list = entries.filter((e) => e.action === action);
        const e = pick === 'first' ? list[0] : list.at(-1);
        return e ? Date.parse(e.time) : NaN;
      };
      const marks: [string, number][] = [
        ['detect', at('head-seen') - t0],
        ['render+preflight', at('preflight') - at('head-seen')],
        ['start', at('start') - at('preflight')],
        ['gate', at('health') - at('start')],
        ['switch', at('switch') - at('health')],
        ['drain+remove', at('live') - at('switch')],
        ['total', at('live') - t0],
      ];
      for (const [k, v] of marks) (rows[k] ??= []).push(v);
    }
    console.log('commit → live (median of 3, ms; detect includes the trigger round trip):');
    for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(18)} ${median(v).toFixed(0)}`);
  } finally {
    await host.dispose();
    await git.dispose();
  }
}

async function localEntries(stateDir: string, commit: string): Promise<{ action: string; time: string }[]> {
  const { readFile } = await import('node:fs/promises');
  const { logPaths, QUEUE_FILE } = await import('../agent/log/deploy-log.js');
  const text = await readFile(`${logPaths(stateDir).queue}/${QUEUE_FILE}`, 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; time: string; commit?: string }).filter((e) => e.commit === commit);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

await noopReconcile();
await commitToLive();
