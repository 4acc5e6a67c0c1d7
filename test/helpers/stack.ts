// Builds Stack values for reconcile tests without going through render.
import { createHash } from 'node:crypto';
import type { ServiceSpec, Stack } from '../../shared/stack/model.js';
import { APP_IMAGE } from './images.js';

export function service(name: string, over: Partial<ServiceSpec> & { version?: string } = {}): ServiceSpec {
  const { version, ...rest } = over;
  const base: ServiceSpec = {
    name,
    image: APP_IMAGE,
    pullPolicy: 'never',
    environment: { VERSION: version ?? 'v1' },
    secretEnvironment: [],
    labels: {},
    ports: [],
    volumes: [],
    secrets: [],
    dependsOn: {},
    networks: {},
    extra: {},
    x: {
      strategy: 'bluegreen',
      drainMs: 200,
      health: { kind: 'http', path: '/health', port: 8080, intervalMs: 100, timeoutMs: 1000, successes: 2, startPeriodMs: 0, deadlineMs: 15_000 },
      route: { hosts: [`${name}.test`], port: 8080 },
    },
    hash: '',
  };
  const svc = { ...base, ...rest, x: { ...base.x, ...rest.x } };
  svc.hash = createHash('sha256').update(JSON.stringify({ ...svc, hash: '' })).digest('hex');
  return svc;
}

export function stack(env: string, commit: string, services: ServiceSpec[], over: Partial<Stack> = {}): Stack {
  return { env, branch: env, commit, project: env, services: Object.fromEntries(services.map((s) => [s.name, s])), volumes: {}, networks: {}, secrets: {}, ...over };
}
