// The deploy log is one reader of the event stream: each recorded event is one entry, and a
// render failure is written once (it used to be written by the agent and by the executor).
import t from 'tap';
import { environmentFor } from '../../../../agent/environment.js';
import { DeployEvents, type DeployEvent } from '../../../../agent/events.js';
import { logEntryOf, subscribeDeployLog } from '../../../../agent/log/event-log.js';
import type { LogEntryInput } from '../../../../shared/log/entry.js';

const env = environmentFor({ kind: 'production', branch: 'production', ref: 'refs/heads/production' }, 'h1');
const ev = (type: DeployEvent['type'], more: Partial<DeployEvent> = {}): DeployEvent => ({ type, env, at: 0, commit: 'c'.repeat(40), ...more });

t.test('events map to log actions', async (t) => {
  t.same(logEntryOf(ev('detected', { detail: { old: 'a' } })), { env: 'production', commit: 'c'.repeat(40), action: 'head-seen', result: 'info', detail: { old: 'a', branch: 'production' } });
  t.match(logEntryOf(ev('started', { service: 'web' })), { action: 'start', result: 'ok', detail: { service: 'web' } });
  t.match(logEntryOf(ev('failed', { service: 'web', stage: 'gate', reason: 'exit 1' })), { action: 'health', result: 'failed', detail: { service: 'web', stage: 'gate', reason: 'exit 1' } });
  t.match(logEntryOf(ev('failed', { service: 'web', stage: 'drift' })), { action: 'drift-repair', result: 'failed' });
  t.match(logEntryOf(ev('failed', { stage: 'render', reason: 'bad yaml', code: 'E_COMPOSE' })), { action: 'failed', result: 'failed', detail: { stage: 'render', reason: 'bad yaml', code: 'E_COMPOSE' } });
  t.match(logEntryOf(ev('removed', { service: 'old', detail: { why: 'pruned' } })), { action: 'prune' });
  t.match(logEntryOf(ev('removed', { service: 'old' })), { action: 'remove' });
  t.match(logEntryOf(ev('unchanged')), { action: 'live', detail: { unchanged: true } });
  t.match(logEntryOf(ev('reverted')), { action: 'watch-revert', result: 'failed' });
  for (const quiet of ['watching', 'superseded', 'skipped', 'interrupted', 'rendered'] as const) t.equal(logEntryOf(ev(quiet)), undefined, `${quiet} is not a public log entry`);
});

t.test('the subscriber appends before the emit resolves; one failed render is one entry', async (t) => {
  const events = new DeployEvents();
  const written: LogEntryInput[] = [];
  subscribeDeployLog(events, { append: async (e) => { await Promise.resolve(); written.push(e); } });
  await events.emit(ev('failed', { stage: 'render', reason: 'bad' }));
  t.equal(written.length, 1, 'written by the time emit resolved');
  await events.emit(ev('watching'));
  t.equal(written.length, 1);
});
