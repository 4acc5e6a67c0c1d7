// Tunnel exhaustion against a real `autoinfra edge` process under a small fd limit (prlimit): the
// tunnel cap follows the process's RLIMIT_NOFILE, so tunnels that send nothing cannot take every
// descriptor, and plain requests keep being served (before, the edge reset every client).
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { rawStatus, request, startEdgeProcess, startUpstream, tempDir } from '../../helpers/edge.js';
import { waitFor } from '../../../agent/wait-for.js';

async function freePort(): Promise<number> {
  const s = http.createServer(); await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port; await new Promise((r) => s.close(r)); return p;
}

const NOFILE = 200;

t.test(`${NOFILE} fds: idle tunnels are capped below the limit, plain requests still served`, async (t) => {
  const dir = tempDir();
  const ws = await startUpstream('ws');
  t.teardown(() => ws.close());
  const port = await freePort();
  const routesFile = path.join(dir, 'routes.json');
  const controlSocket = path.join(dir, 'edge.sock');
  writeFileSync(routesFile, JSON.stringify({ version: 1, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: ws.address }] }));
  const edge = await startEdgeProcess({ args: ['--listen', `127.0.0.1:${port}`], controlSocket, routesFile, command: ['prlimit', [`--nofile=${NOFILE}:${NOFILE}`, '--']] });
  t.teardown(() => edge.stop());
  const socks: net.Socket[] = [];
  t.teardown(() => { for (const s of socks) s.destroy(); });
  const statuses: number[] = [];
  // Twice what the fds could hold: each tunnel costs the edge 2.
  for (let i = 0; i < NOFILE; i++) {
    const sock = net.connect(port, '127.0.0.1');
    socks.push(sock);
    let got = '';
    sock.on('data', (c: Buffer) => { got += c.toString('latin1'); });
    sock.on('error', () => undefined);
    let closed = false;
    sock.once('close', () => { closed = true; });
    sock.write('GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitFor(`an answer to upgrade ${i}`, async () => /ws:hello/.test(got) || (rawStatus(got) > 101) || closed, { timeoutMs: 5000, intervalMs: 5 });
    statuses.push(rawStatus(got));
  }
  const opened = statuses.filter((s) => s === 101).length;
  t.ok(opened > 0 && opened <= NOFILE / 4, `tunnels opened: ${opened} (cap ${NOFILE / 4})`);
  t.ok(statuses.slice(opened).every((s) => s === 503), 'the rest answered 503');
  const s = await edge.client.stats();
  t.equal(s.tunnels.open, opened);
  t.equal(s.tunnels.refused, NOFILE - opened);
  for (let i = 0; i < 20; i++) t.equal((await request(port, 'web.test', '/', { timeoutMs: 5000 })).body, 'ws', `plain request ${i} served`);
});

t.test('edge.tunnels in agent.yml sets the caps and idle timeout of a real edge', async (t) => {
  const dir = tempDir();
  const ws = await startUpstream('ws');
  t.teardown(() => ws.close());
  const port = await freePort();
  const routesFile = path.join(dir, 'routes.json');
  const controlSocket = path.join(dir, 'edge.sock');
  writeFileSync(routesFile, JSON.stringify({ version: 1, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: ws.address }] }));
  const config = path.join(dir, 'agent.yml');
  writeFileSync(config, `host: web-1\nrepo:\n  url: https://git.example.org/o/r.git\nedge:\n  listen: ["127.0.0.1:${port}"]\n  control_socket: ${controlSocket}\n  routes_file: ${routesFile}\n  tunnels: {idle_timeout: 300ms, max_per_client: 1}\n`);
  const edge = await startEdgeProcess({ args: [], controlSocket, routesFile, env: { AUTOINFRA_CONFIG: config } });
  t.teardown(() => edge.stop());
  const open = async (): Promise<{ status: number; closed: Promise<void> }> => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (c: Buffer) => { got += c.toString('latin1'); });
    sock.on('error', () => undefined);
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write('GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitFor('an answer', async () => /ws:hello/.test(got) || rawStatus(got) > 101, { timeoutMs: 5000, intervalMs: 5 });
    return { status: rawStatus(got), closed };
  };
  const a = await open();
  t.equal(a.status, 101);
  t.equal((await open()).status, 503, 'max_per_client: 1');
  await Promise.race([a.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('idle tunnel not closed within 5 s')), 5000))]);
  t.equal((await edge.client.stats()).tunnels.idleClosed, 1, 'idle_timeout: 300ms');
});
