// The operator's journal follows a deploy step by step, with durations and a summary line.
import t from 'tap';
import { environmentFor } from '../../../../agent/environment.js';
import { DeployEvents, type DeployEvent } from '../../../../agent/events.js';
import { journalLineOf, subscribeJournal } from '../../../../agent/log/event-journal.js';
import { silentLogger } from '../../../../agent/logger.js';

const env = environmentFor({ kind: 'production', branch: 'production', ref: 'refs/heads/production' }, 'h1');
const C = 'abcdef0123456789'.padEnd(40, '0');
const ev = (type: DeployEvent['type'], more: Partial<DeployEvent> = {}): DeployEvent => ({ type, env, at: 0, commit: C, ...more });

t.test('one line per step, durations readable, a live summary with routes', async (t) => {
  t.same(journalLineOf(ev('pulled', { service: 'web', durationMs: 3400, detail: { image: 'app:2' } })), { level: 'info', message: 'production abcdef012345 web: pulled app:2 in 3.4 s' });
  t.same(journalLineOf(ev('gated', { service: 'web', colour: 'green', durationMs: 850, detail: { attempts: 3 } })), { level: 'info', message: 'production abcdef012345 web (green): healthy after 3 checks in 850 ms' });
  t.same(journalLineOf(ev('live', { durationMs: 12_300, detail: { routes: ['web.test', 'api.test/api'] } })), { level: 'info', message: 'production is live at abcdef012345 in 12.3 s: web.test, api.test/api' });
  t.match(journalLineOf(ev('failed', { service: 'web', stage: 'gate', reason: 'exit 3' })), { level: 'warn', message: /web: failed at gate: exit 3/ });
  t.equal(journalLineOf(ev('failed', { stage: 'gate', reason: 'x' })), undefined, "the commit's failure is logged by deploy/fail.ts with what still serves");
  t.equal(journalLineOf(ev('detected')), undefined, 'the source logs new heads');
  t.match(journalLineOf(ev('superseded', { reason: 'a newer head' })), { message: /superseded: a newer head/ });
});

t.test('the subscriber writes at the line level', async (t) => {
  const events = new DeployEvents();
  const got: string[] = [];
  const logger = silentLogger();
  logger.info = ((m: string) => { got.push(`info ${m}`); return logger; }) as typeof logger.info;
  subscribeJournal(events, logger);
  await events.emit(ev('switched', { durationMs: 20 }));
  t.same(got, ['info production abcdef012345: traffic switched to the new colour in 20 ms']);
});
