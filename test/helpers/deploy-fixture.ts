// Wires a real Executor on in-memory parts (MemoryRuntime, MemoryEdge, InstantClock, a state dir
// in tmp) for unit tests of the deploy steps: a whole deploy runs in milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutorOptions } from '../../agent/deploy/options.js';
import type { DeployEvent } from '../../agent/events.js';
import { MemoryEvents } from '../../agent/events.js';
import { Executor } from '../../agent/executor/executor.js';
import { silentLogger } from '../../agent/logger.js';
import { RouteBook } from '../../agent/routing.js';
import { StateStore } from '../../agent/state/store.js';
import type { ServiceSpec } from '../../shared/stack/model.js';
import { InstantClock } from './instant-clock.js';
import { MemoryEdge } from './memory-edge.js';
import { MemoryRuntime } from './memory-runtime.js';
import { testEnvironment } from './reconcile.js';
import { service as appService } from './stack.js';

export interface DeployFixture {
  runtime: MemoryRuntime;
  edge: MemoryEdge;
  events: MemoryEvents;
  store: StateStore;
  clock: InstantClock;
  routes: RouteBook;
  executor: Executor;
  env: ReturnType<typeof testEnvironment>;
  /** A fresh executor on the same state and runtime (an agent restart). */
  restart(): Executor;
  /** `type[:service]` of every event so far, in order. */
  trail(): string[];
  of(type: DeployEvent['type']): DeployEvent[];
}

export function deployFixture(t: { teardown(fn: () => void): void }, options: Partial<ExecutorOptions> = {}): DeployFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-unit-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runtime = new MemoryRuntime(['app:1', 'app:2', 'app:3']);
  const edge = new MemoryEdge();
  const events = new MemoryEvents();
  const store = new StateStore(dir);
  const clock = new InstantClock();
  const logger = silentLogger();
  const routes = new RouteBook(edge, logger, 1);
  const make = () => new Executor({ runtime, routes, events, store, clock, logger, host: 'test-host', options: { watchMs: 0, ...options } });
  return {
    runtime, edge, events, store, clock, routes, executor: make(), restart: make, env: testEnvironment('production'),
    trail: () => events.events.map((e) => (e.service ? `${e.type}:${e.service}` : e.type)),
    of: (type) => events.events.filter((e) => e.type === type),
  };
}

/** A routed service on the in-memory runtime: image app:<n>, gated on "running" (no real HTTP). */
export function svc(name: string, version: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const s = appService(name, { version, image: 'app:1', ...over });
  s.x = { ...s.x, health: { ...s.x.health, kind: 'none', intervalMs: 100, deadlineMs: 3000, successes: 1 }, drainMs: 100 };
  return s;
}
