import t from 'tap';
import { backoffDelay, jittered } from '../../../../agent/source/backoff.js';

t.test('jitter stays within ±10 %', async (t) => {
  t.equal(jittered(1000, () => 0), 900);
  t.equal(jittered(1000, () => 0.5), 1000);
  t.equal(jittered(1000, () => 0.999999), 1100);
});

t.test('backoff doubles per failure and is capped', async (t) => {
  const mid = (): number => 0.5;
  t.equal(backoffDelay(1000, 300_000, 1, mid), 2000);
  t.equal(backoffDelay(1000, 300_000, 2, mid), 4000);
  t.equal(backoffDelay(1000, 300_000, 5, mid), 32_000);
  t.equal(backoffDelay(1000, 300_000, 20, mid), 300_000);
  t.equal(backoffDelay(1000, 300_000, 1000, () => 0.99), 300_000, 'cap holds after jitter; huge counts do not overflow');
  t.equal(backoffDelay(15_000, 5000, 3, mid), 15_000, 'never shorter than the interval');
});
