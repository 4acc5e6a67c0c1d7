// The deploy-event stream: one typed record per step of an operation, in-process. The deploy log,
// the status model, the local API, and later `wait`, webhooks' commit statuses, metrics and the
// page all subscribe here; nothing keeps a private copy of "what is happening".
import type { Environment } from './environment.js';

export type DeployEventType =
  | 'detected'        // the source saw a new head (detail.old: previous head)
  | 'rendered'        // the stack rendered (detail: services, hashes)
  | 'pulled'          // a service's image was pulled (detail.image, detail.digest)
  | 'built'           // a service's image was built (detail.image)
  | 'preflight'       // pull/build of what will start finished (detail.images)
  | 'started'         // a service's new container (colour) is running
  | 'gated'           // a service's new container passed its health gate (detail.attempts)
  | 'switched'        // the edge serves the new colours
  | 'watching'        // the watch window began (detail.untilMs)
  | 'live'            // the commit is the environment's live commit
  | 'unchanged'       // nothing to do: the commit's stack equals what runs
  | 'failed'          // the commit failed at `stage` with `reason`; recorded and skipped until the branch moves
  | 'rejected'        // refused before render (policy, signature)
  | 'superseded'      // a newer head replaced this queued one (detail.by)
  | 'skipped'         // not deployed (already failed, frozen, …) with `reason`
  | 'reverted'        // after the switch, the watch sent traffic back to the old colour
  | 'drained'         // an old colour stopped taking requests and was removed
  | 'removed'         // a service that left the stack was pruned
  | 'drift-repaired'  // a live container was restored to the live commit's definition
  | 'torn-down'       // the environment is gone (branch deleted, master equals production)
  | 'interrupted';    // an outside failure (Docker down) stopped the operation; retried later

export type DeployStage = 'render' | 'policy' | 'preflight' | 'plan' | 'start' | 'gate' | 'switch' | 'watch' | 'drain' | 'recover' | 'drift' | 'teardown';

export interface DeployEvent {
  type: DeployEventType;
  env: Environment;
  /** The commit the operation carries (absent for environment-wide events without one). */
  commit?: string;
  /** The service a per-service step is about. */
  service?: string;
  colour?: 'blue' | 'green';
  /** Clock time the event happened (ms since the epoch). */
  at: number;
  /** How long the step took, when it is a step. */
  durationMs?: number;
  /** Where a `failed` / `reverted` / `interrupted` happened. */
  stage?: DeployStage;
  /** Human reason for `failed`, `rejected`, `skipped`, `superseded`, `reverted`, `interrupted`. Never a secret value. */
  reason?: string;
  /** Stable error code (`E_…`) when the reason came from a typed error. */
  code?: string;
  /** Step-specific data; plain JSON, no secret values. */
  detail?: Record<string, unknown>;
}

export type DeployEventListener = (e: DeployEvent) => void | Promise<void>;

/** What producers (source glue, executor steps) need: emit resolves once every listener took the event. */
export interface EventSink {
  emit(e: DeployEvent): Promise<void>;
}

/**
 * The stream. Listeners run in subscription order and are awaited: the deploy log (subscribed
 * first) has fsynced an event before the step after it begins. A listener that throws fails the
 * emit (durability); readers that must never stop a deploy (status, wait) catch their own errors.
 */
export class DeployEvents implements EventSink {
  private readonly listeners: DeployEventListener[] = [];

  subscribe(listener: DeployEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async emit(e: DeployEvent): Promise<void> {
    for (const l of [...this.listeners]) await l(e);
  }
}

/** An EventSink that keeps what it got (unit tests). */
export class MemoryEvents implements EventSink {
  readonly events: DeployEvent[] = [];
  async emit(e: DeployEvent): Promise<void> {
    this.events.push(e);
  }
}
