// Waiting on one commit's deploy attempt: known outcomes answer at once, events end the wait,
// the worst of several environments wins, and a timeout says so.
import t from 'tap';
import { environmentFor, type EnvironmentKind } from '../../../../agent/environment.js';
import { DeployEvents, type DeployEvent } from '../../../../agent/events.js';
import { STATUS_SCHEMA, environmentStatus, type AgentStatus, type EnvironmentStatus } from '../../../../agent/status/status-model.js';
import { watchCommit } from '../../../../agent/api/deployments/commit-watch.js';
import { RecentOutcomes } from '../../../../agent/api/deployments/recent.js';
import { EXIT, endingOf, knownOutcome, overall, type WaitLine } from '../../../../agent/api/deployments/outcome.js';
import { InstantClock } from '../../../helpers/instant-clock.js';

const env = (kind: EnvironmentKind) => environmentFor({ kind, branch: kind, ref: `refs/heads/${kind}` }, 'h1');
const prod = env('production');
const master = env('master');
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ev = (type: DeployEvent['type'], more: Partial<DeployEvent> = {}): DeployEvent => ({ type, env: prod, at: Date.UTC(2026, 0, 1), commit: A, ...more });
const since = '2026-01-01T00:00:00.000Z';

function setup(envs: EnvironmentStatus[] = []) {
  const events = new DeployEvents();
  const clock = new InstantClock();
  const recent = new RecentOutcomes();
  let statusEnvs = envs;
  const deps = { status: async (): Promise<AgentStatus> => ({ schema: STATUS_SCHEMA, host: 'h1', at: since, environments: statusEnvs }), subscribe: events.subscribe.bind(events), recent, clock };
  const run = (commit: string, envNames: string[] = [], timeoutMs = 60_000) => {
    const lines: WaitLine[] = [];
    const w = watchCommit(deps, { commit, envs: envNames, timeoutMs }, (l) => lines.push(l));
    return { lines, w, outcome: async () => { await w.done; return lines.at(-1); } };
  };
  const settle = () => new Promise((r) => setImmediate(r));
  return { events, clock, recent, run, settle, setStatus: (e: EnvironmentStatus[]) => { statusEnvs = e; } };
}

t.test('pure parts: endings, known outcomes, the worst outcome, exit codes', async (t) => {
  t.same(endingOf(ev('live')), { env: 'production', outcome: 'live' });
  t.same(endingOf(ev('unchanged'))?.outcome, 'live');
  t.equal(endingOf(ev('failed', { service: 'web', stage: 'gate' })), undefined, "a service's failure is a step");
  t.same(endingOf(ev('failed', { stage: 'gate', reason: 'web: unhealthy', code: 'E_HEALTH_GATE' })), { env: 'production', outcome: 'failed', reason: 'web: unhealthy', stage: 'gate', code: 'E_HEALTH_GATE' });
  t.equal(endingOf(ev('superseded'))?.outcome, 'superseded');
  t.equal(endingOf(ev('rejected'))?.outcome, 'rejected');
  t.equal(endingOf(ev('skipped'))?.outcome, 'failed');
  t.equal(endingOf(ev('started', { service: 'web' })), undefined);
  const s = { ...environmentStatus(prod), live: { commit: B, since, services: {} }, failed: [{ commit: A, reason: 'bad', at: since }] } as EnvironmentStatus;
  t.same(knownOutcome(s, A.slice(0, 7)), { env: 'production', outcome: 'failed', reason: 'bad', serving: B });
  t.same(knownOutcome(s, B), { env: 'production', outcome: 'live', serving: B });
  t.equal(knownOutcome({ ...s, operation: { commit: A } } as EnvironmentStatus, A), undefined, 'a retry in progress is not the old failure');
  t.equal(overall([{ env: 'a', outcome: 'live' }, { env: 'b', outcome: 'superseded' }]), 'superseded');
  t.equal(overall([{ env: 'a', outcome: 'timeout' }, { env: 'b', outcome: 'failed' }]), 'failed');
  t.equal(overall([{ env: 'a', outcome: 'gone' }, { env: 'b', outcome: 'live' }]), 'live');
  t.equal(overall([{ env: 'a', outcome: 'gone' }]), 'failed');
  t.same([EXIT.live, EXIT.failed, EXIT.usage, EXIT.rejected, EXIT.superseded, EXIT.timeout], [0, 1, 2, 3, 4, 5]);
});

t.test('already live: answered at once, no event needed', async (t) => {
  const s = setup([{ ...environmentStatus(prod), live: { commit: A, since, services: {} } } as EnvironmentStatus]);
  const { lines, outcome } = s.run(A.slice(0, 10));
  t.same(await outcome(), { type: 'outcome', commit: A.slice(0, 10), outcome: 'live', results: [{ env: 'production', outcome: 'live', serving: A }] });
  t.equal(lines[0]?.type, 'waiting');
});

t.test('follows the events of its commit only, then the ending one', async (t) => {
  const s = setup([{ ...environmentStatus(prod), head: A, live: { commit: B, since, services: {} } } as EnvironmentStatus]);
  const r = s.run(A);
  await s.settle();
  await s.events.emit(ev('started', { commit: B, service: 'web' }));
  await s.events.emit(ev('started', { service: 'web' }));
  await s.events.emit(ev('failed', { service: 'web', stage: 'gate', reason: 'unhealthy' }));
  await s.events.emit(ev('failed', { stage: 'gate', reason: 'web: unhealthy' }));
  const out = await r.outcome();
  t.same(r.lines.filter((l) => l.type === 'event').map((l) => l.type === 'event' && `${l.event} ${l.service ?? ''}`), ['started web', 'failed web', 'failed '], 'the other commit is not shown');
  t.match(out, { type: 'outcome', outcome: 'failed', results: [{ env: 'production', outcome: 'failed', reason: 'web: unhealthy', stage: 'gate', serving: B }] });
});

t.test('without --env: the first environment that deals with the commit is adopted', async (t) => {
  const s = setup([]);
  const r = s.run(A);
  await s.settle();
  await s.events.emit(ev('detected', { env: master }));
  await s.events.emit(ev('superseded', { env: master, reason: 'newer head' }));
  t.match(await r.outcome(), { outcome: 'superseded', results: [{ env: 'master', outcome: 'superseded' }] });
});

t.test('with --env: every environment named must end; timeout for the ones that did not', async (t) => {
  const s = setup([]);
  const r = s.run(A, ['production', 'master'], 5000);
  await s.settle();
  await s.events.emit(ev('live'));
  s.clock.advance(5000);
  const out = await r.outcome();
  t.match(out, { outcome: 'timeout', results: [{ env: 'production', outcome: 'live' }, { env: 'master', outcome: 'timeout' }] });
});

t.test('an outcome the status model does not keep (superseded) is answered from recent outcomes', async (t) => {
  const s = setup([]);
  s.recent.record(A, { env: 'production', outcome: 'superseded', reason: 'newer head' });
  t.match(await s.run(A).outcome(), { outcome: 'superseded' });
});

t.test('a waiter that stopped (client gone) leaves the stream', async (t) => {
  const s = setup([]);
  const r = s.run(A, ['production']);
  await s.settle();
  r.w.stop();
  await r.w.done;
  await s.events.emit(ev('live'));
  t.notOk(r.lines.some((l) => l.type === 'event'));
});
