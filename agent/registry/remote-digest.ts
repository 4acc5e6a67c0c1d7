// The digest a tag points at on its registry, with one cheap HEAD of the manifest (and the token
// dance of the distribution spec when the registry asks for it). Used for `pull_policy: always`,
// so an unchanged tag is not pulled again and a moved tag is noticed.
import { AutoinfraError } from '../../shared/errors.js';
import { parseImageRef, registryBaseUrl } from './image-ref.js';

export class RegistryError extends AutoinfraError {
  static readonly code = 'E_REGISTRY';
  constructor(image: string, registry: string, reason: string) {
    super(RegistryError.code, `image ${image} on registry ${registry}: ${reason}`, { image, registry, reason });
    this.name = 'RegistryError';
  }
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export async function remoteDigest(image: string, auth?: { username: string; password: string }, timeoutMs = 10_000): Promise<string> {
  const ref = parseImageRef(image);
  if (ref.digest) return ref.digest;
  const url = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}/manifests/${ref.tag}`;
  const basic = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
  const head = (authorization?: string) => fetch(url, { method: 'HEAD', headers: { accept: ACCEPT, ...(authorization ? { authorization } : {}) }, signal: AbortSignal.timeout(timeoutMs) });
  let res: Response;
  try {
    res = await head(basic);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (/^Bearer /i.test(challenge)) res = await head(`Bearer ${await bearerToken(challenge, basic, timeoutMs)}`);
    }
  } catch (e) {
    if (e instanceof RegistryError) throw new RegistryError(image, ref.registry, e.data.reason as string);
    throw new RegistryError(image, ref.registry, `unreachable (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message})`);
  }
  if (res.status === 401 || res.status === 403) throw new RegistryError(image, ref.registry, auth ? `credentials refused (${res.status})` : `needs credentials (${res.status}); add them to the registries file`);
  if (res.status === 404) throw new RegistryError(image, ref.registry, `tag ${ref.tag} not found`);
  if (!res.ok) throw new RegistryError(image, ref.registry, `answered ${res.status}`);
  const digest = res.headers.get('docker-content-digest');
  if (!digest) throw new RegistryError(image, ref.registry, 'no Docker-Content-Digest in the manifest answer');
  return digest;
}

async function bearerToken(challenge: string, basic: string | undefined, timeoutMs: number): Promise<string> {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) throw new RegistryError('', '', 'bearer challenge without realm');
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const res = await fetch(url, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new RegistryError('', '', `token service refused (${res.status})`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError('', '', 'token service gave no token');
  return token;
}
