// A whole autoinfra host for end-to-end tests: host keys, agent.yml, an edge process and an agent
// process (the real CLI), all on 127.0.0.1, pointed at a test git server.
import type { AgentStatus } from '../../agent/status/status-model.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeLocalHost } from '../../agent/demo/local-host.js';
import { CLI_ENTRY, REPO_ROOT } from './cli.js';
import { cleanupByLabel } from './docker.js';
import { freePort, waitFor } from './exec.js';
import { ensureAppImage } from './images.js';
import { request } from './edge.js';
import { startGitServer, type GitServer } from './git-server.js';
import type { Test } from 'tap';

export interface TestHost {
  name: string;
  dir: string;
  configFile: string;
  stateDir: string;
  edgePort: number;
  apiPort: number;
  keyId: string;
  ageRecipient: string;
  /** `agents:` block for infra/autoinfra.yml and for `log verify --keys`. */
  policyYaml: string;
  startEdge(): Promise<ChildProcess>;
  startAgent(): Promise<ChildProcess>;
  stopAgent(signal?: NodeJS.Signals): Promise<void>;
  agentOutput(): string;
  /** GET through the edge with a Host header. */
  get(host: string, pathname?: string): Promise<{ status: number; body: string }>;
  status(): Promise<AgentStatus>;
  dispose(): Promise<void>;
}

export async function testHost(opts: { repoUrl: string; auth?: { username: string; passwordFile: string }; watch?: string; pollInterval?: string; driftInterval?: string; dockerSocket?: string; webhookSecret?: string }): Promise<TestHost> {
  await ensureAppImage();
  const name = `e2e-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-host-'));
  const edgePort = await freePort();
  const apiPort = await freePort();
  const webhookSecretFile = opts.webhookSecret !== undefined ? path.join(dir, 'webhook.secret') : undefined;
  if (webhookSecretFile) writeFileSync(webhookSecretFile, `${opts.webhookSecret}\n`, { mode: 0o600 });
  const local = await writeLocalHost({
    dir, host: name, repoUrl: opts.repoUrl, edgePort, apiPort, auth: opts.auth, dockerSocket: opts.dockerSocket,
    pollInterval: opts.pollInterval ?? '1s', watch: opts.watch ?? '1s', driftInterval: opts.driftInterval ?? '1s', logLevel: 'debug',
    ...(webhookSecretFile ? { webhookSecretFile } : {}),
  });
  const { configFile, stateDir } = local;
  let edge: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let output = '';
  const run = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--config', configFile, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
    return child;
  };
  const exited = (c: ChildProcess | undefined): Promise<void> => new Promise((r) => (!c || c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  const host: TestHost = {
    name, dir, configFile, stateDir, edgePort, apiPort, keyId: local.keyId, ageRecipient: local.ageRecipient, policyYaml: local.policyYaml,
    async startEdge() {
      edge = run(['edge']);
      await waitFor('edge to listen', async () => (await request(edgePort, 'none.test', '/')).status === 404, { timeoutMs: 20_000 });
      return edge;
    },
    async startAgent() {
      agent = run(['agent']);
      await waitFor('agent api', async () => (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok, { timeoutMs: 30_000 });
      return agent;
    },
    async stopAgent(signal = 'SIGTERM') {
      agent?.kill(signal);
      await exited(agent);
    },
    agentOutput: () => output,
    async get(h, pathname = '/') {
      // node:http, not fetch: fetch drops a Host header set by the caller.
      const r = await request(edgePort, h, pathname, { timeoutMs: 10_000 });
      return { status: r.status, body: r.body };
    },
    async status() {
      return (await (await fetch(`http://127.0.0.1:${apiPort}/status`)).json()) as Awaited<ReturnType<TestHost['status']>>;
    },
    async dispose() {
      agent?.kill('SIGKILL');
      edge?.kill('SIGKILL');
      await Promise.all([exited(agent), exited(edge)]);
      await cleanupByLabel('autoinfra.host', name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return host;
}

/** A compose file for the test app, routed at `host` and gated on /health. */
export function appCompose(version: string, opts: { host?: string; env?: Record<string, string>; deadline?: string; drain?: string } = {}): string {
  const env = { VERSION: version, ...opts.env };
  return [
    'services:',
    '  web:',
    '    image: autoinfra-test/app:latest',
    '    pull_policy: never',
    '    environment:',
    ...Object.entries(env).map(([k, v]) => `      ${k}: "${v}"`),
    '    x-autoinfra:',
    `      route: { hosts: [${opts.host ?? 'web.test'}], port: 8080 }`,
    `      health: { http: /health, interval: 100ms, successes: 2, deadline: ${opts.deadline ?? '15s'} }`,
    `      drain: ${opts.drain ?? '500ms'}`,
    '',
  ].join('\n');
}

/**
 * The usual start of an end-to-end test: a git server with repo `app`, a test host (agent and edge
 * processes), `files` committed to production, and that commit live (past its watch window).
 * Everything is torn down with the test; the processes' output is shown when it failed.
 */
export async function liveTestHost(t: Test, opts: Omit<Parameters<typeof testHost>[0], 'repoUrl'> & { files: Record<string, string> }): Promise<{ git: GitServer; host: TestHost; first: string }> {
  const git = await startGitServer();
  t.teardown(() => git.dispose());
  await git.createRepo('app');
  const { files, ...hostOpts } = opts;
  const host = await testHost({ ...hostOpts, repoUrl: git.url('app') });
  t.teardown(async () => {
    if (!t.passing()) t.comment(`agent and edge output:\n${host.agentOutput().slice(-6000)}`);
    await host.dispose();
  });
  const first = await git.commit('app', 'production', files, { message: 'first' });
  await host.startEdge();
  await host.startAgent();
  await waitFor('the first commit to be live', async () => {
    const env = (await host.status()).environments.find((e) => e.env === 'production');
    return env?.live?.commit === first && !env.operation;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  return { git, host, first };
}
