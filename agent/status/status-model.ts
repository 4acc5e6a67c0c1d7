// The one status model: what `GET /status`, `autoinfra status --json` and (later) `wait`, the
// status page and metrics show. Per environment it joins the durable state (live commit and its
// services, failed commits, the journal of the operation in progress) with what the deploy-event
// stream says is happening now (current step, last event, last failure, newest head seen).
// `reduceEnvironment` is pure; `StatusModel` keeps one entry per environment, fed by the stream.
import { byRank, type Environment, type EnvironmentKind } from '../environment.js';
import type { DeployEvent, DeployEventType, DeployStage } from '../events.js';
import type { EnvState } from '../state/env-state.js';

/** Bumped when a field changes meaning or goes away (docs/status.md). */
export const STATUS_SCHEMA = 1;

export interface EnvironmentStatus {
  /** Environment name (`production`, `master`, `preview-<slug>`). */
  env: string;
  kind: EnvironmentKind;
  branch: string;
  /** Newest head the source saw for the branch, when known. */
  head?: string;
  live?: EnvState['live'];
  /** Newest last; bounded (state store). */
  failed: EnvState['failed'];
  /** Journal of the operation in progress (absent when idle). */
  operation?: EnvState['operation'];
  /** The step the running operation reached, from the event stream. */
  step?: { type: DeployEventType; commit?: string; service?: string; at: string };
  lastEvent?: { type: DeployEventType; commit?: string; service?: string; at: string };
  lastFailure?: { commit?: string; stage?: DeployStage; reason?: string; code?: string; service?: string; at: string };
}

export interface AgentStatus {
  schema: number;
  host: string;
  /** When this snapshot was taken (ISO). */
  at: string;
  /** The git source's health (absent when read without a running agent). */
  source?: unknown;
  /** The deploy-log publisher's state (absent when read without a running agent). */
  log?: unknown;
  environments: EnvironmentStatus[];
}

/** Events after which no operation is running in the environment. */
const ENDS: ReadonlySet<DeployEventType> = new Set(['live', 'unchanged', 'failed', 'rejected', 'skipped', 'superseded', 'reverted', 'torn-down', 'interrupted', 'drift-repaired']);

export function environmentStatus(env: Pick<Environment, 'name' | 'kind' | 'branch'>, state?: EnvState): EnvironmentStatus {
  return {
    env: env.name, kind: env.kind, branch: env.branch,
    ...(state?.live ? { live: state.live } : {}), failed: state?.failed ?? [], ...(state?.operation ? { operation: state.operation } : {}),
  };
}

/** Pure: the environment's status after one event (the durable part is refreshed by the caller). */
export function reduceEnvironment(s: EnvironmentStatus, e: DeployEvent): EnvironmentStatus {
  const at = new Date(e.at).toISOString();
  const mark = { type: e.type, ...(e.commit ? { commit: e.commit } : {}), ...(e.service ? { service: e.service } : {}), at };
  const next: EnvironmentStatus = { ...s, lastEvent: mark };
  if (e.type === 'detected' && e.commit) next.head = e.commit;
  // A service failing its gate is a step of an operation still being undone; the commit's own
  // `failed` (without a service) ends it.
  if (ENDS.has(e.type) && !(e.type === 'failed' && e.service !== undefined)) delete next.step;
  else if (e.type !== 'detected') next.step = mark;
  if (e.type === 'failed' || e.type === 'reverted' || e.type === 'interrupted') {
    next.lastFailure = { ...(e.commit ? { commit: e.commit } : {}), ...(e.stage ? { stage: e.stage } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.code ? { code: e.code } : {}), ...(e.service ? { service: e.service } : {}), at };
  }
  return next;
}

export class StatusModel {
  private readonly envs = new Map<string, { env: Environment; status: EnvironmentStatus }>();

  /** `readState` gives the durable state of an environment (the state store); read after each event. */
  constructor(private readonly readState: (env: Environment) => Promise<EnvState | undefined>) {}

  /** Seeds an environment (at start, from the state store and the source's known heads). */
  seed(env: Environment, state: EnvState | undefined, head?: string): void {
    const prev = this.envs.get(env.name)?.status;
    this.envs.set(env.name, { env, status: { ...(prev ?? {}), ...environmentStatus(env, state), ...(head ? { head } : prev?.head ? { head: prev.head } : {}) } });
  }

  /** The stream listener. Never throws: status must not stop a deploy. */
  async onEvent(e: DeployEvent): Promise<void> {
    if (e.type === 'torn-down') { this.envs.delete(e.env.name); return; }
    const prev = this.envs.get(e.env.name)?.status ?? environmentStatus(e.env);
    let next = reduceEnvironment(prev, e);
    const state = await this.readState(e.env).catch(() => undefined);
    if (state) next = { ...next, ...durable(state) };
    this.envs.set(e.env.name, { env: e.env, status: next });
  }

  snapshot(): EnvironmentStatus[] {
    return [...this.envs.values()].sort((a, b) => byRank(a.env, b.env)).map((x) => x.status);
  }
}

function durable(state: EnvState): Pick<EnvironmentStatus, 'live' | 'failed' | 'operation'> {
  return { live: state.live, failed: state.failed, operation: state.operation };
}

