// Pure: which git host sent a webhook and whether its signature proves it knows our secret.
// Every comparison is constant-time (crypto.timingSafeEqual over equal-length digests), so the
// time an answer takes says nothing about how much of a forged signature was right.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HookKind = 'github' | 'gitea' | 'gitlab' | 'generic';
export const HOOK_KINDS: readonly HookKind[] = ['github', 'gitea', 'gitlab', 'generic'];

/** Header names, lower-case (node:http lower-cases incoming headers). */
export type Headers = Record<string, string | string[] | undefined>;

/** Our own header for senders that are not one of the hosts above (CI jobs, scripts). */
export const GENERIC_SIGNATURE = 'x-autoinfra-signature';
export const GENERIC_DELIVERY = 'x-autoinfra-delivery';

export type Verdict =
  | { ok: true; kind: HookKind; delivery?: string }
  | { ok: false; kind?: HookKind; reason: string };

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The sender, from the headers it always sets; `hint` (from the path `/hooks/<kind>`) wins. */
export function detectKind(h: Headers, hint?: HookKind): HookKind | undefined {
  if (hint) return hint;
  if (header(h, 'x-hub-signature-256') !== undefined || header(h, 'x-github-delivery') !== undefined) return 'github';
  if (header(h, 'x-gitea-signature') !== undefined || header(h, 'x-forgejo-signature') !== undefined || header(h, 'x-gitea-delivery') !== undefined) return 'gitea';
  if (header(h, 'x-gitlab-token') !== undefined || header(h, 'x-gitlab-event') !== undefined) return 'gitlab';
  if (header(h, GENERIC_SIGNATURE) !== undefined) return 'generic';
  return undefined;
}

export function deliveryId(kind: HookKind, h: Headers): string | undefined {
  const name = { github: 'x-github-delivery', gitea: 'x-gitea-delivery', gitlab: 'x-gitlab-event-uuid', generic: GENERIC_DELIVERY }[kind];
  const v = header(h, name) ?? (kind === 'gitea' ? header(h, 'x-forgejo-delivery') : undefined);
  return v?.trim() || undefined;
}

/** Constant-time equality of two byte strings of any length (compares their SHA-256 digests). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Hex HMAC-SHA256 check; a value that is not 64 hex digits is refused before any comparison of secrets. */
function hmacMatches(givenHex: string | undefined, body: Buffer, secret: Buffer): boolean {
  if (givenHex === undefined || !/^[0-9a-fA-F]{64}$/.test(givenHex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(givenHex, 'hex'), expected);
}

/** Whether `body` with `headers` was signed by someone holding `secret`. The reason never holds the secret. */
export function verifyHook(h: Headers, body: Buffer, secret: Buffer, hint?: HookKind): Verdict {
  const kind = detectKind(h, hint);
  if (!kind) return { ok: false, reason: 'no signature header (X-Hub-Signature-256, X-Gitea-Signature, X-Forgejo-Signature, X-Gitlab-Token or X-Autoinfra-Signature)' };
  let ok: boolean;
  switch (kind) {
    case 'github': {
      const v = header(h, 'x-hub-signature-256');
      ok = v !== undefined && v.startsWith('sha256=') && hmacMatches(v.slice(7), body, secret);
      break;
    }
    case 'gitea':
      ok = hmacMatches(header(h, 'x-gitea-signature') ?? header(h, 'x-forgejo-signature'), body, secret);
      break;
    case 'gitlab': {
      // GitLab sends the secret itself, not a signature of the body: only TLS protects it in transit.
      const v = header(h, 'x-gitlab-token');
      ok = v !== undefined && sameBytes(Buffer.from(v), secret);
      break;
    }
    case 'generic': {
      const v = header(h, GENERIC_SIGNATURE);
      ok = v !== undefined && hmacMatches(v.startsWith('sha256=') ? v.slice(7) : v, body, secret);
      break;
    }
  }
  if (!ok) return { ok: false, kind, reason: `${kind} signature missing or wrong` };
  const delivery = deliveryId(kind, h);
  return { ok: true, kind, ...(delivery ? { delivery } : {}) };
}

/** What a sender puts in its signature header (tests, docs, CI scripts). */
export function signBody(body: Buffer | string, secret: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
