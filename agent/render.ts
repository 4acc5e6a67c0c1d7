// Render at a commit: the repo's infra/ tree from the object store → the environment's Stack.
// Secret values found on the way are handed to the deploy log so they can never appear in it.
import { fingerprintKeyOrProcess } from '../shared/secrets/fingerprint.js';
import { buildContextsOf, POLICY_FILE } from '../shared/compose/render.js';
import { decryptAge } from '../shared/secrets/age.js';
import { decryptSops } from '../shared/secrets/sops.js';
import { parseDockerConfig } from './registry/credentials.js';
import type { Stack } from '../shared/stack/model.js';
import { secretValues } from '../shared/stack/secret-values.js';
import type { Environment } from './environment.js';
import type { GitSource } from './source/git-source.js';
import { renderInWorker, type RenderLimits } from './render-in-worker.js';

export interface RenderContext {
  source: Pick<GitSource, 'readTree'>;
  host: string;
  ageIdentities: string[];
  /** The host's secret fingerprint key (agent/state/fingerprint-key.ts). */
  fingerprintKey?: Uint8Array;
  /** Called with every decrypted secret value (scrubbed from logs). */
  addSecret?: (value: string) => void;
  /** production's newest known head: its infra/autoinfra.yml grants `allow:` to master and previews. */
  productionHead?: () => string | undefined;
  /** Heap and time for one render's worker thread (DEFAULT_RENDER_LIMITS). */
  limits?: RenderLimits;
}

export async function renderAt(ctx: RenderContext, environment: Environment, commit: string): Promise<Stack> {
  const { name: env, branch, overlay } = environment;
  const files = await ctx.source.readTree(commit, 'infra/');
  // Build contexts may lie outside infra/ (`build: ../app`): their files take part in the render
  // (they name the built image's tag), so read them too.
  for (const dir of buildContextsOf({ files, branch, env, overlay, processEnv: {} })) {
    if (dir === 'infra' || dir.startsWith('infra/')) continue;
    for (const [p, b] of await ctx.source.readTree(commit, dir === '' || dir === '.' ? '' : `${dir.replace(/\/$/, '')}/`)) files.set(p, b);
  }
  // The agent's own environment is not the app's: interpolation sees infra/.env only.
  const allowFrom = environment.kind === 'production' ? undefined : await productionAllow(ctx);
  // On a worker: a commit that exhausts memory or time fails alone (E_RENDER_LIMIT), the agent goes on.
  // Resolved here, not in the worker: each worker thread would otherwise make its own process key,
  // and two renders of one commit would hash differently.
  const stack = await renderInWorker({ files, branch, env, overlay, allowFrom, commit, host: ctx.host, processEnv: {}, ageIdentities: ctx.ageIdentities, fingerprintKey: fingerprintKeyOrProcess(ctx.fingerprintKey) }, ctx.limits);
  const registries = await repoRegistryCredentials(files, ctx.ageIdentities);
  if (registries) stack.registries = Object.fromEntries(registries);
  for (const v of secretValues(stack)) ctx.addSecret?.(v);
  return stack;
}

/** production's policy file, which alone may allow hostile options (nothing known: nothing allowed). */
async function productionAllow(ctx: RenderContext): Promise<{ file: string; text: string | undefined }> {
  const head = ctx.productionHead?.();
  const file = `${POLICY_FILE} on production`;
  if (!head) return { file, text: undefined };
  const bytes = (await ctx.source.readTree(head, 'infra/')).get(POLICY_FILE);
  return { file: `${POLICY_FILE} on production (${head.slice(0, 12)})`, text: bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8') };
}

/** Registry credentials the repo owners manage: infra/secrets/registries.age (Docker config.json
 *  content) or registries.sops.json|yaml (the same shape), encrypted for the hosts. */
async function repoRegistryCredentials(files: Map<string, Uint8Array>, identities: string[]) {
  for (const name of ['registries.age', 'registries.sops.json', 'registries.sops.yaml', 'registries.sops.yml']) {
    const file = `infra/secrets/${name}`;
    const data = files.get(file);
    if (!data) continue;
    const text = name.endsWith('.age')
      ? Buffer.from(await decryptAge(file, data, identities)).toString('utf8')
      : JSON.stringify((await decryptSops(file, data, identities)).tree);
    return parseDockerConfig(file, text);
  }
  return undefined;
}
