// Pure: the branch and commit a push webhook names. GitHub, Gitea/Forgejo and GitLab all send
// `ref: refs/heads/<branch>` and `after: <sha>` in their push payloads; our generic sender may too.
import type { HookKind, Headers } from './signature.js';

export type HookRequestKind =
  | { type: 'push'; branch: string; commit?: string }
  | { type: 'ping' }                        // a host checking the hook works: answered, nothing triggered
  | { type: 'ignored'; reason: string }     // a valid delivery about something we do not deploy (tags, issues)
  | { type: 'invalid'; reason: string };    // not JSON, or a push without a branch

const ZERO = /^0+$/;

function eventName(kind: HookKind, h: Headers): string | undefined {
  const name = { github: 'x-github-event', gitea: 'x-gitea-event', gitlab: 'x-gitlab-event', generic: 'x-autoinfra-event' }[kind];
  const v = h[name] ?? (kind === 'gitea' ? h['x-forgejo-event'] : undefined);
  return Array.isArray(v) ? v[0] : v;
}

export function parseHook(kind: HookKind, h: Headers, body: Buffer): HookRequestKind {
  const event = eventName(kind, h)?.toLowerCase();
  if (event === 'ping') return { type: 'ping' };
  if (event !== undefined && event !== 'push' && event !== 'push hook') return { type: 'ignored', reason: `event ${event} is not a push` };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { type: 'invalid', reason: 'body is not JSON (configure the hook with content type application/json)' };
  }
  if (typeof json !== 'object' || json === null) return { type: 'invalid', reason: 'body is not a JSON object' };
  const p = json as { ref?: unknown; after?: unknown; zen?: unknown };
  if (p.zen !== undefined && p.ref === undefined) return { type: 'ping' };
  if (typeof p.ref !== 'string') return { type: 'invalid', reason: 'push payload has no "ref"' };
  if (!p.ref.startsWith('refs/heads/')) return { type: 'ignored', reason: `${p.ref} is not a branch` };
  const branch = p.ref.slice('refs/heads/'.length);
  if (!branch) return { type: 'invalid', reason: 'empty branch name in "ref"' };
  const commit = typeof p.after === 'string' && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(p.after) && !ZERO.test(p.after) ? p.after : undefined;
  return { type: 'push', branch, ...(commit ? { commit } : {}) };
}
