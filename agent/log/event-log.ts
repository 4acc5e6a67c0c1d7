// The deploy log as a reader of the deploy-event stream: each event that the public log records
// becomes one signed entry. The one place that maps events to log actions; nothing else writes
// deploy steps to the log.
import { LOG_ACTIONS, type LogAction, type LogEntryInput } from '../../shared/log/entry.js';
import type { DeployEvent, DeployEvents } from '../events.js';

/** Log action of each event type that has one (per-service failures are mapped by stage below). */
const ACTION: Partial<Record<DeployEvent['type'], LogAction>> = {
  detected: 'head-seen', preflight: 'preflight', pulled: 'pull', built: 'build', started: 'start', gated: 'health',
  switched: 'switch', live: 'live', unchanged: 'live', drained: 'drain', reverted: 'watch-revert',
  'drift-repaired': 'drift-repair', failed: 'failed', 'torn-down': 'teardown',
};

const SERVICE_FAILURE: Partial<Record<NonNullable<DeployEvent['stage']>, LogAction>> = { gate: 'health', drift: 'drift-repair' };

/** The log entry of an event, or undefined when the public log does not record that event. */
export function logEntryOf(e: DeployEvent): LogEntryInput | undefined {
  let action: LogAction | undefined;
  if (e.type === 'failed' && e.service !== undefined && e.stage) action = SERVICE_FAILURE[e.stage] ?? 'failed';
  else if (e.type === 'removed') action = e.detail?.why === 'pruned' ? 'prune' : 'remove';
  else action = ACTION[e.type];
  if (!action || !(LOG_ACTIONS as readonly string[]).includes(action)) return undefined;
  const detail = {
    ...(e.service ? { service: e.service } : {}),
    ...(e.stage ? { stage: e.stage } : {}),
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.code ? { code: e.code } : {}),
    ...e.detail,
    ...(e.type === 'detected' ? { branch: e.env.branch } : {}),
    ...(e.type === 'unchanged' ? { unchanged: true } : {}),
  };
  const result = e.type === 'failed' || e.type === 'reverted' ? 'failed' : e.type === 'detected' ? 'info' : 'ok';
  return { env: e.env.name, ...(e.commit ? { commit: e.commit } : {}), action, result, detail };
}

/** Subscribes the deploy log first, so an event is on disk before the step after it begins. */
export function subscribeDeployLog(events: DeployEvents, log: { append(e: LogEntryInput): Promise<unknown> }): () => void {
  return events.subscribe(async (e) => {
    const entry = logEntryOf(e);
    if (entry) await log.append(entry);
  });
}
