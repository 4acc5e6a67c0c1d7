// Pre-flight: everything a commit needs is made present (remote digests, pulls, builds) before
// anything live is touched. Failures are PreflightErrors naming the service.
import { createHash } from 'node:crypto';
import { describeError } from '../../shared/errors.js';
import type { Stack } from '../../shared/stack/model.js';
import { PreflightError } from '../executor/errors.js';
import { authFor, mergeCredentials, type RegistryCredentials } from '../registry/credentials.js';
import { parseImageRef, repoDigestOf } from '../registry/image-ref.js';
import { remoteDigest } from '../registry/remote-digest.js';
import { LABEL } from '../runtime/types.js';
import type { StepDeps } from './deps.js';
import { pullFailure } from './docker-errors.js';

/** What pre-flight did for one image (a `pulled` or `built` event). */
export interface PreparedImage { service: string; image: string; action: 'pulled' | 'built'; digest?: string }

type Deps = Pick<StepDeps, 'runtime' | 'clock' | 'logger' | 'registryCredentials' | 'readTree'>;

function credentials(deps: Deps, stack: Stack): RegistryCredentials {
  return mergeCredentials(deps.registryCredentials, new Map(Object.entries(stack.registries ?? {})));
}

/**
 * `pull_policy: always`: what the tag points at now is part of the service's identity, so a moved
 * tag redeploys and an unchanged one does not.
 */
export async function withRemoteDigests(deps: Deps, stack: Stack): Promise<Stack> {
  const always = Object.values(stack.services).filter((s) => s.pullPolicy === 'always' && !s.build);
  if (!always.length) return stack;
  const creds = credentials(deps, stack);
  const services = { ...stack.services };
  for (const svc of always) {
    const digest = await remoteDigest(svc.image, creds.get(parseImageRef(svc.image).registry)).catch((e) => { throw new PreflightError(svc.name, describeError(e), { image: svc.image }); });
    services[svc.name] = { ...svc, remoteDigest: digest, hash: createHash('sha256').update(`${svc.hash}\n${digest}`).digest('hex') };
  }
  return { ...stack, services };
}

/** Makes the images of `services` (default: all) present; throws PreflightError naming the service. */
export async function prepareImages(deps: Deps, stack: Stack, services?: Set<string>): Promise<PreparedImage[]> {
  const done: PreparedImage[] = [];
  for (const svc of Object.values(stack.services)) {
    if (services && !services.has(svc.name)) continue;
    if (svc.build && (svc.pullPolicy === 'build' || !(await deps.runtime.imageExists(svc.image)))) {
      await build(deps, stack, svc.name);
      done.push({ service: svc.name, image: svc.image, action: 'built' });
      continue;
    }
    const local = await deps.runtime.imageInfo(svc.image);
    if (svc.pullPolicy === 'never') {
      if (!local) throw new PreflightError(svc.name, `image ${svc.image} is not on this host and pull_policy is never`, { image: svc.image });
      continue;
    }
    if (local && svc.pullPolicy !== 'always') continue;
    if (local && svc.remoteDigest && local.digests.some((d) => d.endsWith(`@${svc.remoteDigest}`))) continue; // tag unchanged: no pull
    await pull(deps, stack, svc.name);
    const info = await deps.runtime.imageInfo(svc.image);
    done.push({ service: svc.name, image: svc.image, action: 'pulled', digest: info && repoDigestOf(svc.image, info.digests) });
  }
  return done;
}

async function build(deps: Deps, stack: Stack, name: string): Promise<void> {
  const svc = stack.services[name];
  const spec = svc.build!;
  if (!deps.readTree) throw new PreflightError(name, 'build requested but no repository reader is configured');
  const prefix = spec.context.replace(/\/?$/, '/').replace(/^\.\//, '');
  const context = new Map<string, Uint8Array>();
  for (const [file, data] of await deps.readTree(stack.commit, prefix === '/' ? '' : prefix)) context.set(prefix === '/' ? file : file.slice(prefix.length), data);
  if (!context.has(spec.dockerfile)) throw new PreflightError(name, `Dockerfile ${spec.dockerfile} not found in build context ${spec.context}`);
  const lines: string[] = [];
  try {
    await deps.runtime.build({ tag: svc.image, context, dockerfile: spec.dockerfile, args: spec.args, target: spec.target, labels: { [LABEL.env]: stack.env, [LABEL.service]: name, [LABEL.commit]: stack.commit } }, (l) => { lines.push(l); if (lines.length > 20) lines.shift(); });
  } catch (e) {
    throw new PreflightError(name, `${describeError(e)}${lines.length ? ` (last build output: ${lines.slice(-3).join(' | ')})` : ''}`, { image: svc.image });
  }
}

async function pull(deps: Deps, stack: Stack, name: string): Promise<void> {
  const svc = stack.services[name];
  const ref = parseImageRef(svc.image);
  let lastLog = 0;
  try {
    await deps.runtime.pull(svc.image, {
      auth: authFor(credentials(deps, stack), ref.registry),
      onProgress: (p) => {
        const now = deps.clock.now();
        if (now - lastLog < 2000) return;
        lastLog = now;
        deps.logger.info(`pulling ${p.image}: ${p.layersDone}/${p.layersTotal} layers, ${(p.bytesDone / 1e6).toFixed(1)}/${(p.bytesTotal / 1e6).toFixed(1)} MB`, { env: stack.env });
      },
    });
  } catch (e) {
    throw new PreflightError(name, `pull of ${svc.image} from registry ${ref.registry} failed: ${pullFailure(describeError(e))}`, { image: svc.image, registry: ref.registry });
  }
}
