// Pure: desired stack + what runs + durable state → ordered actions. No I/O.
import { AutoinfraError } from '../shared/errors.js';
import type { Stack, Strategy } from '../shared/stack/model.js';
import { containerName, hasFixedHostPorts, otherColour } from './runtime/container-spec.js';
import type { Colour, LiveContainer } from './runtime/types.js';
import type { EnvState } from './state/env-state.js';

export type ActionKind = 'create' | 'replace' | 'keep' | 'remove';

export interface PlannedAction {
  service: string;
  action: ActionKind;
  strategy: Strategy;
  /** Colour that serves now (replace, keep, remove). */
  fromColour?: Colour;
  /** Colour the new container gets (create, replace). */
  toColour?: Colour;
  reason: string;
}

export interface Plan {
  env: string;
  commit: string;
  /** Services in dependency order (dependencies first); removals last. */
  actions: PlannedAction[];
  /** Containers of this env that belong to no live service (left by a crash or by hand): removed. */
  orphans: LiveContainer[];
  /** True when anything but `keep` is planned. */
  changes: boolean;
}

export class PlanError extends AutoinfraError {
  static readonly code = 'E_PLAN';
  constructor(message: string, data: Record<string, unknown>) {
    super(PlanError.code, message, data);
    this.name = 'PlanError';
  }
}

export function plan(stack: Stack, live: LiveContainer[], state: EnvState): Plan {
  const liveServices = state.live?.services ?? {};
  const actions: PlannedAction[] = [];
  for (const name of dependencyOrder(stack)) {
    const svc = stack.services[name];
    const current = liveServices[name];
    // Two colours cannot both bind a fixed host port: such services are recreated.
    const strategy: Strategy = hasFixedHostPorts(svc) ? 'recreate' : svc.x.strategy;
    if (!current) {
      actions.push({ service: name, action: 'create', strategy, toColour: 'blue', reason: 'new service' });
    } else if (current.hash !== svc.hash) {
      actions.push({ service: name, action: 'replace', strategy, fromColour: current.colour, toColour: otherColour(current.colour), reason: `definition changed (${current.hash.slice(0, 12)} → ${svc.hash.slice(0, 12)})` });
    } else {
      actions.push({ service: name, action: 'keep', strategy, fromColour: current.colour, reason: 'unchanged' });
    }
  }
  for (const [name, current] of Object.entries(liveServices)) {
    if (!stack.services[name]) actions.push({ service: name, action: 'remove', strategy: 'recreate', fromColour: current.colour, reason: 'removed from compose' });
  }
  const wanted = new Set(Object.values(liveServices).map((s) => s.container));
  const orphans = live.filter((c) => c.env === stack.env && !wanted.has(c.name));
  return { env: stack.env, commit: stack.commit, actions, orphans, changes: orphans.length > 0 || actions.some((a) => a.action !== 'keep') };
}

/**
 * A one-shot job (a migration, say): some service waits for it with
 * `condition: service_completed_successfully`. It must exit 0, is never routed, never restarted.
 */
export function isJob(stack: Stack, name: string): boolean {
  return Object.values(stack.services).some((s) => s.dependsOn[name]?.condition === 'service_completed_successfully');
}

/** Topological order over depends_on (dependencies first), ties by name for a stable plan. */
export function dependencyOrder(stack: Stack): string[] {
  const names = Object.keys(stack.services).sort();
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new PlanError(`depends_on cycle: ${[...path, name].join(' → ')}`, { cycle: [...path, name] });
    state.set(name, 'visiting');
    for (const dep of Object.keys(stack.services[name]?.dependsOn ?? {}).sort()) {
      if (!stack.services[dep]) continue; // a dependency placed on another host, or optional
      visit(dep, [...path, name]);
    }
    state.set(name, 'done');
    out.push(name);
  };
  for (const n of names) visit(n, []);
  return out;
}

export type DriftKind = 'missing' | 'stopped' | 'changed';

export interface Drift { service: string; container: string; kind: DriftKind; detail: string }

/** Live services whose container vanished, stopped, or was replaced by hand. */
export function findDrift(state: EnvState, live: LiveContainer[]): Drift[] {
  const byName = new Map(live.map((c) => [c.name, c]));
  const out: Drift[] = [];
  for (const [service, s] of Object.entries(state.live?.services ?? {})) {
    const c = byName.get(s.container);
    if (s.job) continue; // a finished job is exited on purpose
    if (!c) out.push({ service, container: s.container, kind: 'missing', detail: 'container is gone' });
    else if (c.hash !== s.hash) out.push({ service, container: s.container, kind: 'changed', detail: `hash label ${c.hash ?? 'none'} ≠ ${s.hash}` });
    else if (c.state !== 'running' && c.state !== 'restarting') out.push({ service, container: s.container, kind: 'stopped', detail: `state ${c.state}${c.exitCode !== undefined ? ` (exit ${c.exitCode})` : ''}` });
  }
  return out;
}

/** Renders a plan for the CLI and logs: `production/web replace (bluegreen blue → green): …`. */
export function describePlan(p: Plan): string[] {
  const lines = p.actions.map((a) => {
    const colours = a.fromColour && a.toColour ? ` ${a.fromColour} → ${a.toColour}` : a.toColour ? ` → ${a.toColour}` : a.fromColour ? ` ${a.fromColour}` : '';
    return `${p.env}/${a.service} ${a.action} (${a.strategy}${colours}): ${a.reason}`;
  });
  for (const o of p.orphans) lines.push(`${p.env}/${o.service || '?'} orphan ${o.name}: removed`);
  return lines;
}

export { containerName };
