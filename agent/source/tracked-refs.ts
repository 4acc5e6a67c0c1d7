// Which advertised refs are deployment sources, and under what name and kind. Pure.
// refs/heads/<production|master> are always tracked; refs/heads/<pattern> are previews when
// previews are enabled; refs/pull/<n>/head are previews named `pull/<n>` when pull requests are
// opted in. `deploy-log` (where hosts publish their signed log) is never a source.

import type { EnvironmentKind, TrackedBranch } from '../environment.js';

export type BranchKind = EnvironmentKind;

export interface TrackingRules {
  branches: { production: string; master: string };
  previews: { enabled: boolean; pattern: string; pullRequests: boolean };
}

export interface TrackedRef {
  /** Name the rest of the agent uses: the branch name, or `pull/<n>` for a pull request. */
  branch: string;
  /** Full ref on the server, e.g. `refs/heads/master`, `refs/pull/7/head`. */
  ref: string;
  kind: BranchKind;
  commit: string;
}

export const DEPLOY_LOG_BRANCH = 'deploy-log';

const PULL_HEAD = /^refs\/pull\/(\d+)\/head$/;

/** Classifies one server ref; undefined when it is not a source. */
export function classifyRef(ref: string, rules: TrackingRules): { branch: string; kind: BranchKind } | undefined {
  if (ref.startsWith('refs/heads/')) {
    const branch = ref.slice('refs/heads/'.length);
    if (branch === DEPLOY_LOG_BRANCH) return undefined;
    if (branch === rules.branches.production) return { branch, kind: 'production' };
    if (branch === rules.branches.master) return { branch, kind: 'master' };
    if (rules.previews.enabled && globMatch(rules.previews.pattern, branch)) return { branch, kind: 'preview' };
    return undefined;
  }
  const pull = PULL_HEAD.exec(ref);
  if (pull && rules.previews.enabled && rules.previews.pullRequests) return { branch: `pull/${pull[1]}`, kind: 'preview' };
  return undefined;
}

/** The tracked refs among a server's advertisement (one entry per branch name, first wins). */
export function trackedRefs(advertised: Iterable<{ ref: string; oid: string }>, rules: TrackingRules): Map<string, TrackedRef> {
  const out = new Map<string, TrackedRef>();
  for (const { ref, oid } of advertised) {
    const c = classifyRef(ref, rules);
    if (c && !out.has(c.branch)) out.set(c.branch, { ...c, ref, commit: oid });
  }
  return out;
}

/** Server ref for a tracked branch name (inverse of classifyRef's naming). */
export function refForBranch(branch: string): string {
  const pull = /^pull\/(\d+)$/.exec(branch);
  return pull ? `refs/pull/${pull[1]}/head` : `refs/heads/${branch}`;
}

/** What a branch name is under these rules (a name no longer advertised: production, master, else a preview). */
export function trackedBranch(branch: string, rules: TrackingRules): TrackedBranch {
  const kind: BranchKind = branch === rules.branches.production ? 'production' : branch === rules.branches.master ? 'master' : 'preview';
  return { branch, ref: refForBranch(branch), kind };
}

/**
 * Glob over a whole branch name: `*` matches any run of characters including `/` (so
 * `preview/*` matches `preview/a/b`, as in git refspecs), `?` one character; the rest is literal.
 */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(name);
}
