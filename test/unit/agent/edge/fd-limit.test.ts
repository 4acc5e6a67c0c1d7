// The tunnel cap follows the open-file limit (agent/edge/fd-limit.ts).
import t from 'tap';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openFileLimit, tunnelCap } from '../../../../agent/edge/fd-limit.js';

t.test('reads the soft limit from a /proc limits file; unlimited or unreadable → undefined', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-fd-'));
  const f = path.join(dir, 'limits');
  writeFileSync(f, 'Limit                     Soft Limit           Hard Limit           Units     \nMax processes             63471                63471                processes \nMax open files            400                  524288               files     \n');
  t.equal(openFileLimit(f), 400);
  writeFileSync(f, 'Max open files            unlimited            unlimited            files     \n');
  t.equal(openFileLimit(f), undefined);
  t.equal(openFileLimit(path.join(dir, 'none')), undefined);
  t.type(openFileLimit(), 'number', 'this Linux host has one');
});

t.test('tunnels get at most half the fds (2 each), never more than configured', async (t) => {
  t.equal(tunnelCap(10_000, 400), 100, 'the issue\'s 400-fd host: 200 fds left for everything else');
  t.equal(tunnelCap(10_000, 65_536), 10_000);
  t.equal(tunnelCap(3, 400), 3);
  t.equal(tunnelCap(10_000, undefined), 10_000);
  t.equal(tunnelCap(10_000, 2), 1);
});
