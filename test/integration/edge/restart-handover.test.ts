// Edge restart with an inherited listening socket under load: a holder process (standing in for
// systemd) owns the listening socket and passes it as fd 3 with LISTEN_FDS=1 / LISTEN_PID to
// successive `autoinfra edge` processes. Handover with overlap and with a gap (no edge running for
// a while): no connection is refused and no request fails; slow requests in flight at SIGTERM finish.
import t from 'tap';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EdgeClient } from '../../../agent/edge/client.js';
import { CLI_ENTRY } from '../../helpers/cli.js';
import { request, startUpstream, tempDir } from '../../helpers/edge.js';

// The holder: binds, listens, prints the port; on "spawn <json argv>" starts a child with the
// socket as fd 3 and LISTEN_PID set to the child's own pid (as systemd does), prints its pid.
const HOLDER = `
import json, os, signal, socket, subprocess, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(4096); os.set_inheritable(s.fileno(), True)
print(s.getsockname()[1], flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(' ')
    if cmd == 'spawn':
        argv = json.loads(arg)
        def to_fd3(fd=s.fileno()):
            if fd != 3: os.dup2(fd, 3)
            os.set_inheritable(3, True)
        p = subprocess.Popen(['sh', '-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', 'sh'] + argv, close_fds=False, preexec_fn=to_fd3, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(argv[-1] + '.log', 'w'))
        print(p.pid, flush=True)
`;

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('restart handing over an inherited socket under load: 0 refused, 0 failed', async (t) => {
  const dir = tempDir();
  const app = await startUpstream('app');
  t.teardown(() => app.close());
  const routesFile = path.join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify({ version: 1, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: app.address }] }));
  const holder = spawn('python3', ['-c', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => { holder.kill('SIGKILL'); });
  const lines = createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  t.ok(port > 0, `holder listens on ${port}`);
  const pids: number[] = [];
  t.teardown(() => { for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL'); });

  const startEdge = async (gen: number): Promise<number> => {
    const controlSocket = path.join(dir, `edge-${gen}.sock`);
    const argv = [process.execPath, '--import', 'tsx', CLI_ENTRY, '--config', '/nonexistent.yml', 'edge', '--listen', 'systemd', '--routes-file', routesFile, '--control-socket', controlSocket];
    holder.stdin!.write(`spawn ${JSON.stringify(argv)}\n`);
    const pid = Number((await lines.next()).value);
    pids.push(pid);
    const client = new EdgeClient({ controlSocket, routesFile, requestTimeoutMs: 1000 });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try { await client.stats(); return pid; } catch {
        if (Date.now() > deadline || !alive(pid)) throw new Error(`edge ${gen} did not start (see ${controlSocket}.log)`);
        await sleep(50);
      }
    }
  };
  const stopEdge = async (pid: number): Promise<void> => {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await sleep(20);
    t.notOk(alive(pid), `edge ${pid} exited after SIGTERM`);
  };

  let pid = await startEdge(1);
  const errors = new Map<string, number>();
  let ok = 0; let slowOk = 0; let running = true;
  const deadline = Date.now() + 60_000;
  const loop = async (p: string): Promise<void> => {
    while (running && Date.now() < deadline) {
      try {
        const a = await request(port, 'web.test', p, { timeoutMs: 15_000 });
        if (a.status === 200) { ok++; if (p !== '/') slowOk++; } else errors.set(`HTTP ${a.status}`, (errors.get(`HTTP ${a.status}`) ?? 0) + 1);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  const load = [...Array.from({ length: 6 }, () => loop('/')), ...Array.from({ length: 2 }, () => loop('/slow?ms=300'))];
  await sleep(300);
  // Overlap: the new edge accepts on the same socket before the old one stops.
  const pid2 = await startEdge(2);
  await stopEdge(pid);
  pid = pid2;
  await sleep(300);
  // Gap: the old edge stops first; connections wait in the kernel's queue until the next one starts.
  await stopEdge(pid);
  const okBeforeGap = ok;
  pid = await startEdge(3);
  await sleep(500);
  running = false;
  await Promise.all(load);
  await stopEdge(pid);
  t.same(Object.fromEntries(errors), {}, 'no refused connection, no failed request');
  t.ok(ok > 200, `load kept going (${ok} ok)`);
  t.ok(ok > okBeforeGap, 'requests queued during the gap were served by the next edge');
  t.ok(slowOk > 5, `slow requests finished across restarts (${slowOk})`);
});
