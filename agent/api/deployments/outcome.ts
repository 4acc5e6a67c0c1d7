// Pure: what the deploy attempt of one commit came to, per environment — from the status model
// (outcomes already known when the question is asked) or from an event that ends the attempt —
// and the lines `GET /deployments/<sha>` streams (NDJSON, docs/ci.md).
import type { DeployEvent, DeployEventType, DeployStage } from '../../events.js';
import type { EnvironmentStatus } from '../../status/status-model.js';

/** `gone`: the environment was torn down (master reached production's commit, branch deleted). */
export type EnvOutcome = 'live' | 'failed' | 'rejected' | 'superseded' | 'timeout' | 'gone';
export type Outcome = Exclude<EnvOutcome, 'gone'>;

export interface EnvResult { env: string; outcome: EnvOutcome; reason?: string; stage?: DeployStage; code?: string; serving?: string }

export type WaitLine =
  | { type: 'waiting'; commit: string; envs: string[]; timeoutMs: number }
  | { type: 'event'; env: string; event: DeployEventType; commit: string; service?: string; stage?: DeployStage; reason?: string; at: string }
  | { type: 'result'; result: EnvResult }
  | { type: 'outcome'; commit: string; outcome: Outcome; results: EnvResult[] }
  | { type: 'tick' };

/** Exit codes of `autoinfra wait` (docs/ci.md). */
export const EXIT: Record<Outcome | 'usage' | 'unreachable', number> = { live: 0, failed: 1, usage: 2, rejected: 3, superseded: 4, timeout: 5, unreachable: 6 };

/** A full commit id against what the user gave (7 to 64 hex digits, any case). */
export function sameCommit(full: string | undefined, given: string): boolean {
  return full !== undefined && full.toLowerCase().startsWith(given.toLowerCase());
}

export function isCommitArgument(s: string): boolean {
  return /^[0-9a-fA-F]{7,64}$/.test(s);
}

/** Whether an environment's status says anything about the commit (it is, was or will be deployed there). */
export function mentions(s: EnvironmentStatus, commit: string): boolean {
  return sameCommit(s.head, commit) || sameCommit(s.live?.commit, commit) || s.failed.some((f) => sameCommit(f.commit, commit))
    || sameCommit(s.operation?.commit, commit) || sameCommit(s.step?.commit, commit);
}

/** The outcome the status model already records: live, or in the failed list. Newest wins. */
export function knownOutcome(s: EnvironmentStatus, commit: string): EnvResult | undefined {
  if (sameCommit(s.live?.commit, commit) && !sameCommit(s.operation?.commit, commit)) return { env: s.env, outcome: 'live', serving: s.live!.commit };
  const f = [...s.failed].reverse().find((x) => sameCommit(x.commit, commit));
  if (f && !sameCommit(s.operation?.commit, commit)) return { env: s.env, outcome: 'failed', reason: f.reason, ...(s.live ? { serving: s.live.commit } : {}) };
  return undefined;
}

const ENDING: Partial<Record<DeployEventType, EnvOutcome>> = {
  live: 'live', unchanged: 'live', failed: 'failed', reverted: 'failed', skipped: 'failed',
  rejected: 'rejected', superseded: 'superseded', 'torn-down': 'gone',
};

/** The result an event gives its commit's attempt, or undefined when the attempt goes on. */
export function endingOf(e: DeployEvent): EnvResult | undefined {
  const outcome = ENDING[e.type];
  // A service's own `failed` is one step: the commit's `failed` (without a service) follows.
  if (!outcome || (e.type === 'failed' && e.service !== undefined)) return undefined;
  return { env: e.env.name, outcome, ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.stage ? { stage: e.stage } : {}), ...(e.code ? { code: e.code } : {}) };
}

export function eventLine(e: DeployEvent & { commit: string }): WaitLine {
  return {
    type: 'event', env: e.env.name, event: e.type, commit: e.commit, at: new Date(e.at).toISOString(),
    ...(e.service ? { service: e.service } : {}), ...(e.stage ? { stage: e.stage } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}),
  };
}

const WORST: Outcome[] = ['failed', 'rejected', 'superseded', 'timeout', 'live'];

/**
 * One outcome for several environments: the worst of them (failed before rejected before
 * superseded before timeout before live). A torn-down environment only counts when it is the only
 * answer (then the commit did not deploy: failed).
 */
export function overall(results: EnvResult[]): Outcome {
  const counted = results.filter((r) => r.outcome !== 'gone').map((r) => r.outcome as Outcome);
  if (!counted.length) return 'failed';
  return WORST.find((o) => counted.includes(o))!;
}
