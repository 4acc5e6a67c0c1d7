import t from 'tap';
import { systemClock } from '../../../agent/clock.js';

t.test('sleep waits, and resolves early without throwing on abort', async (t) => {
  const t0 = Date.now();
  await systemClock.sleep(20);
  t.ok(Date.now() - t0 >= 15, 'slept about 20 ms');
  const ac = new AbortController();
  const t1 = Date.now();
  setTimeout(() => ac.abort(), 10);
  await systemClock.sleep(5000, ac.signal);
  t.ok(Date.now() - t1 < 1000, 'abort cut the sleep short');
  await systemClock.sleep(5000, ac.signal);
  t.ok(Date.now() - t1 < 1000, 'an already aborted signal returns at once');
  t.ok(Math.abs(systemClock.now() - Date.now()) < 50);
});
