// Wires a real Executor (real dockerd, real state dir) for reconcile tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../agent/clock.js';
import { Executor, type ExecutorOptions } from '../../agent/executor/executor.js';
import { MemoryRecorder } from '../../agent/executor/recorder.js';
import { SecretFiles } from '../../agent/executor/secret-files.js';
import { silentLogger } from '../../agent/logger.js';
import { RouteBook, type EdgeControl, type RouteTableData } from '../../agent/routing.js';
import { DockerRuntime } from '../../agent/runtime/docker.js';
import { StateStore } from '../../agent/state/store.js';
import { cleanupDocker, docker, testScope, TEST_LABEL } from './docker.js';
import { ensureAppImage } from './images.js';

/** Keeps the last applied table in memory: what the agent would hand to the edge. */
export class TableEdge implements EdgeControl {
  tables: RouteTableData[] = [];
  async apply(table: RouteTableData): Promise<unknown> {
    this.tables.push(structuredClone(table));
    return { version: table.version };
  }
  upstream(id: string): string | undefined {
    return this.tables.at(-1)?.routes.find((r) => r.id === id)?.upstream;
  }
}

export interface ReconcileFixture {
  scope: string;
  stateDir: string;
  runtime: DockerRuntime;
  edge: TableEdge;
  recorder: MemoryRecorder;
  store: StateStore;
  executor: Executor;
  routes: RouteBook;
  /** A fresh executor on the same state dir (an agent restart). */
  restart(): Executor;
  get(id: string, pathname?: string): Promise<{ status: number; body: string }>;
  cleanup(): Promise<void>;
}

export async function reconcileFixture(name: string, options: Partial<ExecutorOptions> = {}, edge: EdgeControl = new TableEdge()): Promise<ReconcileFixture> {
  await docker();
  await ensureAppImage();
  const scope = testScope(name);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'ai-state-'));
  const runtime = new DockerRuntime({ extraLabels: { [TEST_LABEL]: scope } });
  const recorder = new MemoryRecorder();
  const store = new StateStore(stateDir);
  const logger = silentLogger();
  const routes = new RouteBook(edge, logger);
  const make = () => new Executor({ runtime, routes, recorder, store, clock: systemClock, logger, host: 'test-host', secretFiles: new SecretFiles(path.join(stateDir, 'run-secrets'), logger), options: { watchMs: 0, ...options } });
  const fx: ReconcileFixture = {
    scope, stateDir, runtime, edge: edge as TableEdge, recorder, store, routes,
    executor: make(),
    restart: make,
    async get(id, pathname = '/') {
      const upstream = (edge as TableEdge).upstream(id);
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
