// Turns a merged service's `x-autoinfra` block (plus top-level and policy defaults) into the
// ServiceExtension of the Stack, with every default applied in this one place.
import { parseDuration } from '../duration.js';
import type { HealthSpec, ServiceExtension, Strategy } from '../stack/model.js';
import { isPlainObject } from './tags.js';

export const EXTENSION_DEFAULTS = Object.freeze({
  intervalMs: 1000,
  timeoutMs: 2000,
  successes: 2,
  startPeriodMs: 0,
  deadlineMs: 60_000,
  drainMs: 10_000,
  mirrorMethods: ['GET', 'HEAD'],
  mirrorSampleRate: 1,
});

type Obj = Record<string, unknown>;

const ms = (v: unknown, d: number): number => (v === undefined ? d : parseDuration(v as string | number) ?? d);

/** Layers: policy defaults < top-level x-autoinfra < the service's own block. */
export function resolveExtension(service: Obj, top: Obj | undefined, policyDefaults: Obj | undefined): ServiceExtension {
  const own = isPlainObject(service['x-autoinfra']) ? service['x-autoinfra'] : {};
  const layers = [policyDefaults ?? {}, top ?? {}, own];
  const pick = (k: string): unknown => { for (let i = layers.length - 1; i >= 0; i--) if (layers[i][k] !== undefined) return layers[i][k]; return undefined; };
  const health: Obj = Object.assign({}, ...layers.map((l) => (isPlainObject(l.health) ? l.health : {})));
  const mirrorIn: Obj = Object.assign({}, ...layers.map((l) => (isPlainObject(l.mirror) ? l.mirror : {})));
  const route = isPlainObject(own.route) ? own.route : undefined;
  const ext: ServiceExtension = {
    health: resolveHealth(health, route, service),
    strategy: (own.strategy as Strategy | undefined) ?? defaultStrategy(pick('strategy') as Strategy | undefined, route !== undefined),
    drainMs: ms(pick('drain'), EXTENSION_DEFAULTS.drainMs),
  };
  if (route) ext.route = { hosts: (route.hosts as string[]) ?? [], port: Number(route.port), ...(route.path_prefix ? { pathPrefix: String(route.path_prefix) } : {}) };
  if (Array.isArray(own.hosts)) ext.hosts = own.hosts.map(String);
  if (Object.keys(mirrorIn).length) {
    ext.mirror = {
      enabled: mirrorIn.enabled !== false,
      methods: Array.isArray(mirrorIn.methods) ? mirrorIn.methods.map(String) : [...EXTENSION_DEFAULTS.mirrorMethods],
      sampleRate: typeof mirrorIn.sample_rate === 'number' ? mirrorIn.sample_rate : EXTENSION_DEFAULTS.mirrorSampleRate,
    };
  }
  return ext;
}

// A stack-wide default applies only where it can: bluegreen needs a route to switch.
function defaultStrategy(layered: Strategy | undefined, routed: boolean): Strategy {
  if (layered && (layered !== 'bluegreen' || routed)) return layered;
  return routed ? 'bluegreen' : 'start-first';
}

function resolveHealth(h: Obj, route: Obj | undefined, service: Obj): HealthSpec {
  const timing = {
    intervalMs: ms(h.interval, EXTENSION_DEFAULTS.intervalMs),
    timeoutMs: ms(h.timeout, EXTENSION_DEFAULTS.timeoutMs),
    successes: typeof h.successes === 'number' ? h.successes : EXTENSION_DEFAULTS.successes,
    startPeriodMs: ms(h.start_period, EXTENSION_DEFAULTS.startPeriodMs),
    deadlineMs: ms(h.deadline, EXTENSION_DEFAULTS.deadlineMs),
  };
  const port = typeof h.port === 'number' ? h.port : route ? Number(route.port) : undefined;
  if (typeof h.http === 'string') return { kind: 'http', path: h.http, ...(port ? { port } : {}), ...timing };
  if (h.command !== undefined) return { kind: 'command', command: typeof h.command === 'string' ? ['sh', '-c', h.command] : (h.command as string[]), ...timing };
  if (h.docker === true) return { kind: 'docker', ...timing };
  if (h.none === true) return { kind: 'none', ...timing };
  // Defaults: the image's own compose healthcheck when there is one, else an HTTP probe of `/`
  // for routed services, else "running is healthy".
  const hc = service.healthcheck;
  if (isPlainObject(hc) && hc.disable !== true && hc.test !== undefined) return { kind: 'docker', ...timing };
  if (route) return { kind: 'http', path: '/', ...(port ? { port } : {}), ...timing };
  return { kind: 'none', ...timing };
}
