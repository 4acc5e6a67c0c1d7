// `--workers N`: one edge process per core sharing the listeners (the kernel spreads connections:
// SCHED_NONE). The primary serves the control socket; a reload is applied in every worker and
// acknowledged only when all have it live; stats are the sum of the workers'.
import cluster, { type Worker } from 'node:cluster';
import type http from 'node:http';
import { rm } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { EdgeOptions } from './options.js';
import { EdgeServer } from './edge-server.js';
import { readRouteTable } from './routes-file.js';
import type { RouteTable } from '../../shared/routes/route-table.js';
import { mergeStats, type EdgeStats } from './stats.js';
import { startControlServer } from './control-server.js';
import { inheritedFds } from './listeners.js';
import { EdgeListenError } from './errors.js';

type ToWorker = { t: 'autoinfra-edge:table'; id: number; table: RouteTable } | { t: 'autoinfra-edge:stats'; id: number };
type FromWorker = { t: 'autoinfra-edge:applied'; id: number; version: number } | { t: 'autoinfra-edge:stats'; id: number; stats: EdgeStats } | { t: 'autoinfra-edge:ready' };

const WORKER_ANSWER_TIMEOUT_MS = 5_000;

export interface RunningEdge { stop(): Promise<void>; done: Promise<void> }

/** In a cluster worker: an EdgeServer without control socket, driven by the primary over IPC. */
export async function runEdgeWorker(options: EdgeOptions, logger: Logger): Promise<RunningEdge> {
  const edge = new EdgeServer(options, { logger, control: false });
  await edge.start();
  process.on('message', (m: ToWorker) => {
    if (m?.t === 'autoinfra-edge:table') { edge.apply(m.table); process.send?.({ t: 'autoinfra-edge:applied', id: m.id, version: edge.version } satisfies FromWorker); }
    else if (m?.t === 'autoinfra-edge:stats') process.send?.({ t: 'autoinfra-edge:stats', id: m.id, stats: edge.stats() } satisfies FromWorker);
  });
  process.send?.({ t: 'autoinfra-edge:ready' } satisfies FromWorker);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= edge.stop());
  return { stop, done: new Promise<void>((r) => { process.once('SIGTERM', () => void stop().then(r)); process.once('disconnect', () => void stop().then(r)); }) };
}

/** In the primary: forks the workers, serves the control socket. */
export async function runEdgePrimary(options: EdgeOptions, workers: number, logger: Logger): Promise<RunningEdge> {
  if (inheritedFds(process.env, process.pid).length) throw new EdgeListenError('systemd', 'socket activation is not supported with --workers; run one edge process per socket unit, or listen on an address');
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let nextId = 1;
  const pending = new Map<number, (m: FromWorker) => void>();
  const live = new Set<Worker>();
  let stopping = false;
  const fork = (): Promise<void> => new Promise((resolve, reject) => {
    const w = cluster.fork({ AUTOINFRA_EDGE_WORKER: '1' });
    live.add(w);
    w.on('message', (m: FromWorker) => {
      if (m.t === 'autoinfra-edge:ready') resolve();
      else pending.get(m.id)?.(m);
    });
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      logger.error('edge worker exited; starting a new one', { pid: w.process.pid, code, signal });
      reject(new Error(`edge worker exited during start (code ${code}, signal ${signal})`));
      setTimeout(() => void fork().catch(() => undefined), 200).unref();
    });
  });
  await Promise.all(Array.from({ length: workers }, fork));
  const ask = async (msg: (id: number) => ToWorker): Promise<FromWorker[]> => Promise.all([...live].map((w) => new Promise<FromWorker>((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => { pending.delete(id); reject(new Error(`edge worker ${w.process.pid} did not answer within ${WORKER_ANSWER_TIMEOUT_MS} ms`)); }, WORKER_ANSWER_TIMEOUT_MS);
    pending.set(id, (m) => { clearTimeout(timer); pending.delete(id); resolve(m); });
    w.send(msg(id));
  })));
  const reloadQueue: { p: Promise<unknown> } = { p: Promise.resolve() };
  const reload = (): Promise<number> => {
    const next = reloadQueue.p.then(async () => {
      let table: RouteTable;
      try { table = await readRouteTable(options.routesFile); } catch (e) {
        logger.error(`route table not reloaded, workers keep their table: ${(e as Error).message}`, { file: options.routesFile });
        throw e;
      }
      const acks = await ask((id) => ({ t: 'autoinfra-edge:table', id, table }));
      logger.info('route table applied in all workers', { version: table.version, workers: acks.length });
      return table.version;
    });
    reloadQueue.p = next.catch(() => undefined);
    return next;
  };
  const stats = async (): Promise<EdgeStats> => mergeStats((await ask((id) => ({ t: 'autoinfra-edge:stats', id }))).map((m) => (m as { stats: EdgeStats }).stats));
  const control: http.Server = await startControlServer(options.controlSocket, { reload, stats }, logger);
  logger.info('edge primary ready', { workers, control: options.controlSocket });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= (async () => {
    stopping = true;
    await Promise.all([...live].map((w) => new Promise<void>((r) => { w.once('exit', () => r()); w.process.kill('SIGTERM'); })));
    control.closeAllConnections();
    await new Promise<void>((r) => control.close(() => r()));
    await rm(options.controlSocket, { force: true });
    resolveDone();
  })());
  return { stop, done };
}
