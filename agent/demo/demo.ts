// `autoinfra demo`: the whole product on one machine, no internet. A local deployment repo served
// over git smart-HTTP on 127.0.0.1, the edge and the agent as real processes, and a scripted
// story told step by step. Steps are a list so later capabilities (master beside production with
// mirrored traffic, previews) slot in as further steps.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeError } from '../../shared/errors.js';
import { freePort } from '../host-command.js';
import { DockerRuntime } from '../runtime/docker.js';
import { LABEL } from '../runtime/types.js';
import { StateStore } from '../state/store.js';
import { waitFor } from '../wait-for.js';
import { buildDemoImage, demoCompose, DemoSetupError, DEMO_IMAGE } from './app-image.js';
import { GitServer } from './git-server.js';
import { writeLocalHost } from './local-host.js';

export interface DemoOptions {
  keep: boolean;
  /** Where progress goes (the CLI's stdout). */
  say: (line: string) => void;
  /** Port of the edge on 127.0.0.1 (0: any free port). */
  port?: number;
  socketPath?: string;
}

export const DEMO_HOST_NAME = 'web.demo.localhost';

interface DemoContext {
  opts: DemoOptions;
  dir: string;
  host: string;
  git: GitServer;
  repoUrl: string;
  edgePort: number;
  apiPort: number;
  stateDir: string;
  configFile: string;
  agent?: ChildProcess;
  edge?: ChildProcess;
  output: string[];
  runtime: DockerRuntime;
}

interface DemoStep { title: string; run(ctx: DemoContext): Promise<void> }

const steps: DemoStep[] = [
  { title: 'Deploy production v1', run: deployFirst },
  { title: 'Commit v2: blue-green switch under load', run: blueGreenUnderLoad },
  { title: 'Commit v3, which is broken: it fails its health gate, v2 keeps serving', run: brokenCommit },
  { title: 'Verify the signed deploy log, as anyone with read access can', run: verifyLog },
];

export async function runDemo(opts: DemoOptions): Promise<void> {
  const say = opts.say;
  const runtime = new DockerRuntime({ socketPath: opts.socketPath });
  await runtime.ping().catch((e) => { throw new DemoSetupError(`Docker engine not reachable (${describeError(e)}); install docker.io and start dockerd`); });
  // Object names are per environment, not per agent: beside another agent's containers (any
  // environment) the demo could collide with them, so it refuses rather than touch them.
  const foreign = (await runtime.list()).filter((c) => !c.labels[LABEL.host]?.startsWith('demo-'));
  if (foreign.length) throw new DemoSetupError(`this machine already runs an autoinfra agent (${foreign.slice(0, 5).map((c) => c.name).join(', ')}${foreign.length > 5 ? ', …' : ''}); run the demo on another machine`);

  const dir = mkdtempSync(path.join(tmpdir(), 'autoinfra-demo-'));
  const host = `demo-${randomBytes(3).toString('hex')}`;
  say(`autoinfra demo — working in ${dir}, host name ${host}`);
  say('• building the demo app image from busybox (no internet needed)');
  await buildDemoImage(runtime);

  const git = new GitServer({ root: path.join(dir, 'git') });
  await git.start();
  await git.createRepo('deploy');
  const ctx: DemoContext = {
    opts, dir, host, git, repoUrl: git.url('deploy'), edgePort: opts.port || (await freePort()), apiPort: await freePort(),
    stateDir: path.join(dir, 'state'), configFile: path.join(dir, 'agent.yml'), output: [], runtime,
  };
  try {
    await writeHostFiles(ctx);
    say(`• deployment repo served over git smart-HTTP at ${ctx.repoUrl}`);
    ctx.edge = startProcess(ctx, 'edge');
    await waitFor('the edge to listen', async () => (await get(ctx, '/')).status === 404, { timeoutMs: 30_000 });
    say(`• edge listening on 127.0.0.1:${ctx.edgePort}`);
    ctx.agent = startProcess(ctx, 'agent');
    say('• agent started (polling the repo every second)');
    for (const [i, step] of steps.entries()) {
      say(`\n[${i + 1}/${steps.length}] ${step.title}`);
      await step.run(ctx);
    }
    say('\nDemo complete.');
    if (opts.keep) {
      say(`It keeps running. Try:\n  curl -H 'Host: ${DEMO_HOST_NAME}' http://127.0.0.1:${ctx.edgePort}/\n  autoinfra --config ${ctx.configFile} status\n  git clone ${ctx.repoUrl}   # commit and push to production, watch it deploy\nStop it with Ctrl-C (everything the demo created is removed).`);
      await new Promise<void>((resolve) => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()); });
    }
  } catch (e) {
    say(`\nThe demo stopped: ${describeError(e)}\nLast agent/edge output:\n${ctx.output.slice(-30).join('')}`);
    throw e;
  } finally {
    say('• cleaning up');
    await cleanup(ctx);
  }
}

async function writeHostFiles(ctx: DemoContext): Promise<void> {
  const local = await writeLocalHost({ dir: ctx.dir, host: ctx.host, repoUrl: ctx.repoUrl, edgePort: ctx.edgePort, apiPort: ctx.apiPort, watch: '2s' });
  writeFileSync(path.join(ctx.dir, 'autoinfra.yml'), `# Repo policy: the agents whose deploy-log signatures are trusted.\n${local.policyYaml}`);
}

/** The edge and the agent run as this same CLI in child processes, as systemd would run them. */
function startProcess(ctx: DemoContext, verb: 'agent' | 'edge'): ChildProcess {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], '--config', ctx.configFile, verb], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer): void => { ctx.output.push(c.toString()); if (ctx.output.length > 200) ctx.output.shift(); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

function get(ctx: DemoContext, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctx.edgePort, path: pathname, headers: { host: DEMO_HOST_NAME }, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').trim() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function envState(ctx: DemoContext) {
  return new StateStore(ctx.stateDir).load('production', 'production');
}

async function commit(ctx: DemoContext, files: Record<string, string>, message: string): Promise<string> {
  const sha = await ctx.git.commit('deploy', 'production', files, { message });
  ctx.opts.say(`  pushed ${sha.slice(0, 12)} to production: "${message}"`);
  return sha;
}

async function deployFirst(ctx: DemoContext): Promise<void> {
  const policy = (await import('node:fs')).readFileSync(path.join(ctx.dir, 'autoinfra.yml'), 'utf8');
  await commit(ctx, { 'infra/docker-compose.yml': demoCompose('v1'), 'infra/autoinfra.yml': policy }, 'first deploy: v1');
  await waitFor('v1 to be live', async () => (await get(ctx, '/')).body.endsWith('v1'), { timeoutMs: 90_000, intervalMs: 200 });
  ctx.opts.say(`  live: curl -H 'Host: ${DEMO_HOST_NAME}' http://127.0.0.1:${ctx.edgePort}/  →  "${(await get(ctx, '/')).body}"`);
}

async function blueGreenUnderLoad(ctx: DemoContext): Promise<void> {
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const versions = new Set<string>();
  const load = (async () => {
    const end = Date.now() + 60_000;
    while (!stop && Date.now() < end && ok + failures.length < 20_000) {
      try {
        const r = await get(ctx, '/');
        if (r.status === 200) { ok++; versions.add(r.body.split(' ').pop()!); } else failures.push(String(r.status));
      } catch (e) { failures.push(describeError(e)); }
    }
  })();
  const sha = await commit(ctx, { 'infra/docker-compose.yml': demoCompose('v2') }, 'v2');
  await waitFor('v2 to be live', async () => { const s = await envState(ctx); return s.live?.commit === sha && !s.operation; }, { timeoutMs: 90_000, intervalMs: 200 });
  stop = true;
  await load;
  const state = await envState(ctx);
  ctx.opts.say(`  switched to the ${state.live!.services.web.colour} colour: ${ok + failures.length} requests during the rollout, ${failures.length} failed (saw ${[...versions].join(' then ')})`);
  if (failures.length) throw new Error(`requests failed during the switch: ${failures.slice(0, 3).join(', ')}`);
}

async function brokenCommit(ctx: DemoContext): Promise<void> {
  const sha = await commit(ctx, { 'infra/docker-compose.yml': demoCompose('v3', { broken: true }) }, 'v3 (broken: no /health)');
  await waitFor('v3 to fail', async () => (await envState(ctx)).failed.some((f) => f.commit === sha), { timeoutMs: 90_000, intervalMs: 200 });
  const failed = (await envState(ctx)).failed.find((f) => f.commit === sha)!;
  ctx.opts.say(`  v3 failed: ${failed.reason.split('\n')[0]}`);
  ctx.opts.say(`  still serving: "${(await get(ctx, '/')).body}" — and v3 will not be retried; the next commit is the fix`);
}

async function verifyLog(ctx: DemoContext): Promise<void> {
  ctx.opts.say('  stopping the agent (it pushes its last log entries to the deploy-log branch)');
  ctx.agent!.kill('SIGTERM');
  await new Promise((r) => (ctx.agent!.exitCode !== null ? r(null) : ctx.agent!.once('exit', r)));
  const keys = path.join(ctx.dir, 'autoinfra.yml');
  const cli = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
  const show = await cli(['log', 'show', '--repo', ctx.repoUrl]);
  ctx.opts.say(`  $ autoinfra log show --repo ${ctx.repoUrl}\n${indent(show.out)}`);
  const verify = await cli(['log', 'verify', '--repo', ctx.repoUrl, '--keys', keys]);
  ctx.opts.say(`  $ autoinfra log verify --repo ${ctx.repoUrl} --keys autoinfra.yml\n${indent(verify.out)}`);
  if (verify.code !== 0) throw new Error('deploy log verification failed');
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
}

async function cleanup(ctx: DemoContext): Promise<void> {
  for (const p of [ctx.agent, ctx.edge]) {
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await Promise.race([new Promise((r) => p.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  }
  for (const c of await ctx.runtime.list().catch(() => [])) {
    if (c.labels[LABEL.host] === ctx.host) await ctx.runtime.remove(c.id).catch(() => undefined);
  }
  await ctx.runtime.removeByLabel(LABEL.host, ctx.host).catch(() => undefined);
  await ctx.runtime.removeImage(DEMO_IMAGE).catch(() => undefined);
  await ctx.git.dispose();
  rmSync(ctx.dir, { recursive: true, force: true });
}
