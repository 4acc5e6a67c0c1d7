// Waits for the outcome of one commit's deploy attempt in the chosen environments, for
// `GET /deployments/<sha>`: answers at once from what is known (recent outcomes, status model),
// otherwise follows the event stream until every environment's attempt ended, or the timeout.
// It writes lines through `write`; the HTTP glue streams them as NDJSON.
import type { Clock } from '../../clock.js';
import type { DeployEvent, DeployEventListener } from '../../events.js';
import type { AgentStatus } from '../../status/status-model.js';
import { endingOf, eventLine, knownOutcome, mentions, overall, sameCommit, type EnvResult, type WaitLine } from './outcome.js';
import type { RecentOutcomes } from './recent.js';

export interface CommitWatchDeps {
  status(): Promise<AgentStatus>;
  subscribe(listener: DeployEventListener): () => void;
  recent: RecentOutcomes;
  clock: Clock;
}

export interface CommitWatchRequest {
  commit: string;
  /** Environments to wait on; empty: those that know the commit, else the first that starts on it. */
  envs: string[];
  timeoutMs: number;
  /** Keep-alive line interval (a quiet stream must not trip an HTTP client's body timeout). */
  tickMs?: number;
}

/** Resolves when the final `outcome` line was written; `stop()` ends it early (client went away). */
export function watchCommit(d: CommitWatchDeps, req: CommitWatchRequest, write: (line: WaitLine) => void): { done: Promise<void>; stop(): void } {
  const results = new Map<string, EnvResult>();
  const targets = new Set(req.envs);
  // Without --env, environments join as they show they deal with the commit.
  const adopt = req.envs.length === 0;
  let ready = false;
  let finished = false;
  const early: DeployEvent[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });

  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    unsubscribe();
    timer.cancel();
    tick.cancel();
    const status = await d.status().catch(() => undefined);
    // What serves is read now, after the ending event reached the status model (subscribed first).
    const all = [...targets].map((env) => {
      const r = results.get(env) ?? { env, outcome: 'timeout' as const };
      const serving = status?.environments.find((e) => e.env === env)?.live?.commit ?? r.serving;
      return { ...r, ...(serving ? { serving } : {}) };
    });
    for (const r of all) write({ type: 'result', result: r });
    write({ type: 'outcome', commit: req.commit, outcome: all.length ? overall(all) : 'timeout', results: all });
    resolveDone();
  };
  const settle = (r: EnvResult): void => {
    if (results.has(r.env) || finished) return;
    results.set(r.env, r);
    if (targets.size > 0 && [...targets].every((t) => results.has(t))) void finish();
  };
  const onEvent = (e: DeployEvent): void => {
    if (finished || !e.commit || !sameCommit(e.commit, req.commit)) return;
    if (!ready) { early.push(e); return; }
    if (!targets.has(e.env.name)) {
      if (!adopt || e.env.kind === 'preview') return;
      targets.add(e.env.name);
    }
    if (results.has(e.env.name)) return;
    write(eventLine({ ...e, commit: e.commit }));
    const end = endingOf(e);
    if (end) settle(end);
  };

  // Subscribed before anything is read, so nothing between the read and the subscription is lost.
  // A waiter must never fail a deploy: the stream fails an emit whose listener throws.
  const unsubscribe = d.subscribe((e) => { try { onEvent(e); } catch { /* the client sees the timeout */ } });
  const timer = d.clock.after(req.timeoutMs, () => void finish());
  const tick = d.clock.every(req.tickMs ?? 15_000, () => { if (!finished) write({ type: 'tick' }); });

  void (async () => {
    const status = await d.status().catch(() => undefined);
    const envs = status?.environments ?? [];
    if (adopt) for (const e of envs) if (e.kind !== 'preview' && mentions(e, req.commit)) targets.add(e.env);
    const recent = d.recent.find(req.commit);
    if (adopt) for (const r of recent) targets.add(r.env);
    write({ type: 'waiting', commit: req.commit, envs: [...targets], timeoutMs: req.timeoutMs });
    for (const env of targets) {
      const s = envs.find((e) => e.env === env);
      const known = (s && knownOutcome(s, req.commit)) ?? recent.find((r) => r.env === env);
      if (known) settle(known);
    }
    ready = true;
    for (const e of early.splice(0)) onEvent(e);
  })();

  return { done, stop: () => { if (!finished) { finished = true; unsubscribe(); timer.cancel(); tick.cancel(); resolveDone(); } } };
}

/** Feeds RecentOutcomes from the stream (subscribed once, when the API starts). */
export function recordOutcomes(recent: RecentOutcomes): DeployEventListener {
  return (e) => {
    if (!e.commit) return;
    const end = endingOf(e);
    if (end) recent.record(e.commit, end);
  };
}
