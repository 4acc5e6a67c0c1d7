// Wires a real Executor (real dockerd, real state dir) for reconcile tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../agent/clock.js';
import type { ExecutorOptions } from '../../agent/deploy/options.js';
import { Executor } from '../../agent/executor/executor.js';
import { environmentFor, type Environment } from '../../agent/environment.js';
import { MemoryEvents } from '../../agent/events.js';
import { RepoFiles } from '../../agent/executor/repo-files.js';
import { SecretFiles } from '../../agent/executor/secret-files.js';
import { silentLogger } from '../../agent/logger.js';
import { RouteBook, type EdgeControl } from '../../agent/routing.js';
import { DockerRuntime } from '../../agent/runtime/docker.js';
import { StateStore } from '../../agent/state/store.js';
import { cleanupDocker, docker, testScope, TEST_LABEL } from './docker.js';
import { ensureAppImage } from './images.js';
import { MemoryEdge } from './memory-edge.js';

export interface ReconcileFixture {
  scope: string;
  stateDir: string;
  runtime: DockerRuntime;
  edge: MemoryEdge;
  events: MemoryEvents;
  /** The environment the tests deploy (`production` of host test-host). */
  env: Environment;
  store: StateStore;
  executor: Executor;
  routes: RouteBook;
  /** A fresh executor on the same state dir (an agent restart). */
  restart(): Executor;
  get(id: string, pathname?: string): Promise<{ status: number; body: string }>;
  cleanup(): Promise<void>;
}

export async function reconcileFixture(name: string, options: Partial<ExecutorOptions> = {}, edge: EdgeControl = new MemoryEdge()): Promise<ReconcileFixture> {
  await docker();
  await ensureAppImage();
  const scope = testScope(name);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'ai-state-'));
  const runtime = new DockerRuntime({ extraLabels: { [TEST_LABEL]: scope } });
  const events = new MemoryEvents();
  const store = new StateStore(stateDir);
  const logger = silentLogger();
  const routes = new RouteBook(edge, logger);
  const make = () => new Executor({ runtime, routes, events, store, clock: systemClock, logger, host: 'test-host', secretFiles: new SecretFiles(path.join(stateDir, 'run-secrets'), logger), repoFiles: new RepoFiles(path.join(stateDir, 'repo-files')), options: { watchMs: 0, ...options } });
  const fx: ReconcileFixture = {
    scope, stateDir, runtime, edge: edge as MemoryEdge, events, store, routes,
    env: testEnvironment('production'),
    executor: make(),
    restart: make,
    async get(id, pathname = '/') {
      const upstream = (edge as MemoryEdge).upstream(id);
      if (!upstream) return { status: 0, body: 'no route' };
      const r = await fetch(`http://${upstream}${pathname}`);
      return { status: r.status, body: await r.text() };
    },
    async cleanup() {
      await cleanupDocker(scope);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return fx;
}

/** An Environment as the source makes it, for a branch of that name on host test-host. */
export function testEnvironment(branch: string): Environment {
  return environmentFor({ branch, ref: `refs/heads/${branch}`, kind: branch === 'production' || branch === 'master' ? branch : 'preview' }, 'test-host');
}
