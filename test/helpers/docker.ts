// A real Docker engine for tests: use the one that answers, or install Debian's docker.io and
// start dockerd. Everything a test creates carries TEST_LABEL and is removed by cleanupDocker().
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { exec, waitFor } from './exec.js';

export const DOCKER_SOCKET = process.env.AUTOINFRA_TEST_DOCKER_SOCKET ?? '/var/run/docker.sock';
/** Every test object carries this label; its value names the test run so parallel runs never collide. */
export const TEST_LABEL = 'autoinfra.test';

let ready: Promise<Docker> | undefined;

export function docker(): Promise<Docker> {
  ready ??= ensureDocker();
  return ready;
}

async function answers(d: Docker): Promise<boolean> {
  try { await d.ping(); return true; } catch { return false; }
}

async function ensureDocker(): Promise<Docker> {
  const d = new Docker({ socketPath: DOCKER_SOCKET });
  if (existsSync(DOCKER_SOCKET) && (await answers(d))) return d;
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) {
    await exec('apt-get', ['install', '-y', '-q', 'docker.io'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  // A killed dockerd leaves its pid file behind, and a new one refuses to start while it exists.
  const pidFile = '/var/run/docker.pid';
  if (existsSync(pidFile) && !existsSync(`/proc/${readFileSync(pidFile, 'utf8').trim()}`)) rmSync(pidFile, { force: true });
  const log = openSync('/var/log/autoinfra-test-dockerd.log', 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  await waitFor('dockerd to answer', async () => existsSync(DOCKER_SOCKET) && (await answers(d)), { timeoutMs: 60_000, intervalMs: 250 });
  return d;
}

/** Removes every container, network and volume labelled for this test scope. */
export async function cleanupDocker(scope: string): Promise<void> {
  await cleanupByLabel(TEST_LABEL, scope);
}

/**
 * Same for objects an agent process created (they carry `autoinfra.host=<host>`; tests give each
 * agent a unique host name). Volumes are removed too: they are the test's, not a user's.
 */
export async function cleanupByLabel(label: string, value: string): Promise<void> {
  const d = await docker();
  const filters = JSON.stringify({ label: [`${label}=${value}`] });
  const containers = await d.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => d.getContainer(c.Id).remove({ force: true, v: false }).catch(() => undefined)));
  const networks = await d.listNetworks({ filters });
  await Promise.all(networks.map((n) => d.getNetwork(n.Id).remove().catch(() => undefined)));
  const volumes = (await d.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => d.getVolume(v.Name).remove({ force: true }).catch(() => undefined)));
}

/** A unique scope name for one test file's Docker objects. */
export function testScope(name: string): string {
  return `${name}-${process.pid}-${Date.now().toString(36)}`;
}

export async function dockerCli(args: string[], input?: string | Buffer): Promise<string> {
  await docker();
  return (await exec('docker', args, { input })).stdout.trim();
}
