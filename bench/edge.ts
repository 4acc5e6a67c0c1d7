// Edge benchmark: throughput and latency of the same request served
//   direct      wrk → upstream (nginx returning a small body)
//   node-hello  a bare Node hello-world server (Node's ceiling on one core)
//   edge        wrk → autoinfra edge → upstream
//   nginx       wrk → nginx proxy (equivalent config: keep-alive upstream, X-Forwarded-For) → upstream
// plus edge --workers scaling, and production throughput while mirroring every GET to a target
// that answers after 1 s (edge and nginx `mirror`). The proxy under test runs on core 0
// (taskset), wrk and the upstream on the other core. Figures are ratios within this one run.
// Run: node --import tsx bench/edge.ts   (needs Debian nginx and wrk: apt-get install nginx wrk)
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 64;
const dir = mkdtempSync(path.join(tmpdir(), 'ai-bench-edge-'));
chmodSync(dir, 0o777);
const children: ChildProcess[] = [];
const multiCore = cpus().length >= 2;
const PROXY_CORE = multiCore ? ['taskset', '-c', '0'] : [];
const LOAD_CORE = multiCore ? ['taskset', '-c', String(cpus().length - 1)] : [];

function need(cmd: string, pkg: string): void {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); } catch {
    console.error(`bench/edge: ${cmd} not found: apt-get install ${pkg}`);
    process.exit(2);
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer(); await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port; await new Promise((r) => s.close(r)); return p;
}

function start(cmd: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const c = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr?.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 4000) err = err.slice(-4000); });
  c.on('exit', (code) => { if (code && code !== 0 && !stopping) console.error(`${cmd.join(' ')} exited ${code}: ${err}`); });
  children.push(c);
  return c;
}
let stopping = false;

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited; clearTimeout(t);
}

async function waitHttp(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { http.get({ port, host: '127.0.0.1', headers: { host }, agent: false }, (res) => { res.resume(); r(res.statusCode === 200); }).on('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answers 200 on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Result { rps: number; p50: number; p99: number; errors: number }

function ms(v: string, unit: string): number { return unit === 'us' ? Number(v) / 1000 : unit === 's' ? Number(v) * 1000 : Number(v); }

function wrk(port: number, seconds = DURATION_S, host?: string): Result {
  const out = execFileSync(LOAD_CORE[0] ?? 'wrk', [...LOAD_CORE.slice(1), ...(LOAD_CORE.length ? ['wrk'] : []), '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const pct = (p: string): number => { const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out); return m ? ms(m[1], m[2]) : NaN; };
  const errs = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return { rps, p50: pct('50'), p99: pct('99'), errors: Number(errs?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) };
}

function measure(port: number): Result {
  wrk(port, 1); // warm-up: connections, JIT, pools
  return wrk(port);
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/**
 * Every target measured in turn, ROUNDS times (A B C … A B C …), each figure the median over the
 * rounds: on a shared machine, load from other processes then falls on all targets alike.
 */
function interleaved(targets: Record<string, { port: number; host?: string }>): Record<string, Result> {
  for (const t of Object.values(targets)) wrk(t.port, 1, t.host); // warm-up
  const runs: Record<string, Result[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, t] of Object.entries(targets)) runs[k].push(wrk(t.port, DURATION_S, t.host));
  return Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, { rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)), errors: rs.reduce((a, x) => a + x.errors, 0) }]));
}

function nginxConf(name: string, server: string, extraHttp = ''): string {
  const conf = path.join(dir, `${name}.conf`);
  writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${name}-body; proxy_temp_path ${dir}/${name}-proxy;
  fastcgi_temp_path ${dir}/${name}-fcgi; uwsgi_temp_path ${dir}/${name}-uwsgi; scgi_temp_path ${dir}/${name}-scgi;
  ${extraHttp}
  server { ${server} }
}
`);
  return conf;
}

const PROXY = (extra = ''): string => `
    location / { ${extra}
      proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host; }`;

async function main(): Promise<void> {
  need('nginx', 'nginx'); need('wrk', 'wrk');
  const results: Record<string, Result> = {};
  const [upPort, slowPort, helloPort, edgePort, edge2Port, nginxPort, nginxMirrorPort] = await Promise.all(Array.from({ length: 7 }, freePort));

  // Upstream: nginx answering a small body, on the load core.
  start([...LOAD_CORE, 'nginx', '-c', nginxConf('upstream', `listen 127.0.0.1:${upPort} backlog=4096; keepalive_requests 100000; location / { return 200 "hello\\n"; }`)]);
  // Mirror target that answers after 1 s.
  start([process.execPath, '-e', `require('http').createServer((q,s)=>{q.resume();setTimeout(()=>s.end('slow'),1000)}).listen(${slowPort},'127.0.0.1')`]);
  await waitHttp(upPort);

  // The proxies under test all run at once, pinned to the proxy core; only the one under load works.
  start([...PROXY_CORE, process.execPath, '-e', `const s=require('http').createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain'});r.end('hello\\n')});s.keepAliveTimeout=65000;s.listen(${helloPort},'127.0.0.1')`]);
  const routesFile = path.join(dir, 'routes.json');
  const up = `127.0.0.1:${upPort}`;
  // 'plain.test' is not mirrored; 'mirror.test' mirrors every GET to the 1 s-slow target (≤ 64 copies in flight, the rest dropped and counted).
  writeFileSync(routesFile, JSON.stringify({ version: 1, routes: [
    { id: 'plain', hosts: ['plain.test', '127.0.0.1'], upstream: up },
    { id: 'mirrored', hosts: ['mirror.test'], upstream: up, mirror: { target: `127.0.0.1:${slowPort}`, methods: ['GET'], sampleRate: 1 } },
  ] }));
  const edgeCmd = (port: number, sock: string, extra: string[] = []): string[] => [process.execPath, '--import', 'tsx', path.join(ROOT, 'agent/cli/main.ts'), '--log-level', 'warn', 'edge', '--listen', `127.0.0.1:${port}`, '--control-socket', path.join(dir, sock), '--routes-file', routesFile, ...extra];
  start([...PROXY_CORE, ...edgeCmd(edgePort, 'edge.sock')], { AUTOINFRA_CONFIG: '/nonexistent' });
  start([...PROXY_CORE, 'nginx', '-c', nginxConf('proxy', `listen 127.0.0.1:${nginxPort} backlog=4096; keepalive_requests 100000; ${PROXY()}`, `upstream up { server 127.0.0.1:${upPort}; keepalive 128; }`)]);
  await Promise.all([waitHttp(helloPort), waitHttp(edgePort), waitHttp(nginxPort)]);
  Object.assign(results, interleaved({
    direct: { port: upPort },
    'node-hello': { port: helloPort },
    edge: { port: edgePort, host: 'plain.test' },
    'edge+mirror': { port: edgePort, host: 'mirror.test' },
    nginx: { port: nginxPort },
  }));

  const ngxMirror = start([...PROXY_CORE, 'nginx', '-c', nginxConf('mirror', `listen 127.0.0.1:${nginxMirrorPort} backlog=4096; keepalive_requests 100000; ${PROXY('mirror /mirror; mirror_request_body off;')}
    location = /mirror { internal; proxy_pass http://slow$request_uri; proxy_set_header X-Autoinfra-Mirror 1; }`, `upstream up { server 127.0.0.1:${upPort}; keepalive 128; } upstream slow { server 127.0.0.1:${slowPort}; }`)]);
  await waitHttp(nginxMirrorPort);
  results['nginx+mirror'] = wrk(nginxMirrorPort); // no warm-up: the slow mirror would only stretch it
  await stop(ngxMirror);

  // --workers scaling (not pinned: the workers need the cores; wrk and the upstream share them).
  for (const workers of [1, 2]) {
    const sock = `edge-w${workers}.sock`;
    const e = start(edgeCmd(edge2Port, sock, ['--workers', String(workers)]), { AUTOINFRA_CONFIG: '/nonexistent' });
    await waitHttp(edge2Port);
    await new Promise((r) => setTimeout(r, workers * 500)); // let every worker listen
    results[`edge --workers ${workers} (unpinned)`] = measure(edge2Port);
    await stop(e);
  }

  const d = results.direct; const n = results.nginx; const e = results.edge;
  const row = (name: string, r: Result): string => `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  ${(r.rps / n.rps).toFixed(2)}× nginx  ${(r.rps / d.rps).toFixed(2)}× direct${r.errors ? `  errors ${r.errors}` : ''}`;
  console.log(`\nedge bench: wrk -t1 -c${CONNECTIONS}, median of ${ROUNDS} interleaved ${DURATION_S} s runs; proxies pinned to core 0${multiCore ? '' : ' (single core: no pinning)'}; ratios within this run\n`);
  for (const [k, r] of Object.entries(results)) console.log(row(k, r));
  console.log('');
  console.log(`edge / nginx throughput:          ${(e.rps / n.rps).toFixed(2)}×   (goal ≥ 0.30×)`);
  console.log(`node hello-world / nginx:         ${(results['node-hello'].rps / n.rps).toFixed(2)}×   (Node's ceiling on one core)`);
  console.log(`edge / node hello-world:          ${(e.rps / results['node-hello'].rps).toFixed(2)}×`);
  console.log(`p99 added by the edge vs direct:  ${(e.p99 - d.p99).toFixed(2)} ms   (goal ≤ 2 ms); nginx adds ${(n.p99 - d.p99).toFixed(2)} ms`);
  console.log(`edge with mirror to a 1 s-slow target / without:  ${(results['edge+mirror'].rps / e.rps).toFixed(2)}×   (goal ≥ 0.95×)`);
  console.log(`nginx with mirror to a 1 s-slow target / without: ${(results['nginx+mirror'].rps / n.rps).toFixed(3)}×`);
  console.log(`edge --workers 2 / --workers 1:   ${(results['edge --workers 2 (unpinned)'].rps / results['edge --workers 1 (unpinned)'].rps).toFixed(2)}×   (${cpus().length} cores shared with wrk and the upstream)`);
}

const cleanup = async (): Promise<void> => { stopping = true; await Promise.all(children.map(stop)); };
const hardLimit = setTimeout(() => { console.error('bench/edge: time limit (170 s) reached'); void cleanup().then(() => process.exit(1)); }, 170_000);
main().then(cleanup, async (e: unknown) => { console.error(e); await cleanup(); process.exitCode = 1; }).finally(() => clearTimeout(hardLimit));
