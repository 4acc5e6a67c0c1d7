// Bounds on what one YAML input may cost to load. A repo writer controls the compose files, the
// overlay and infra/autoinfra.yml, so parsing them must take time and memory in proportion to
// their size, never more: an alias bomb, a deeply nested flow collection or a huge file is
// refused with a located problem before anything expands it.

export interface YamlLimits {
  /** Largest input, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of collections, counted through aliases too. */
  maxDepth: number;
  /** Expanded node counts up to this are always allowed, whatever the ratio. */
  aliasFloor: number;
}

export const MiB = 1024 * 1024;

// 1 MiB is ~100 times the largest compose file we have seen; 100 levels is ~10 times the deepest
// (services.web.deploy.resources.limits.cpus is 6). The floor lets a small file expand its
// anchors generously (a 50-node file may become 10 000 nodes) before the ratio applies.
export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: MiB, maxDepth: 100, aliasFloor: 10_000 };

// go-yaml v3 (decode.go, allowedAliasRatio): up to 400 000 decoded nodes, 99 % of them may come
// from alias expansion; from 4 000 000 on, 10 %; linear in between. So alias expansion never adds
// more than ~400 000 nodes, and a document stays within ~100 times its own size.
const RATIO_LOW = 400_000;
const RATIO_HIGH = 4_000_000;

export function allowedAliasRatio(expanded: number): number {
  if (expanded <= RATIO_LOW) return 0.99;
  if (expanded >= RATIO_HIGH) return 0.1;
  return 0.99 - 0.89 * ((expanded - RATIO_LOW) / (RATIO_HIGH - RATIO_LOW));
}

/** Whether a document of `own` nodes that expands to `expanded` nodes is within bounds. */
export function expansionAllowed(own: number, expanded: number, floor: number): boolean {
  if (expanded <= floor) return true;
  return (expanded - own) / expanded <= allowedAliasRatio(expanded);
}

/** `1.5 MiB`, `300 KiB`, `12 bytes`: sizes as an operator reads them. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${(n / MiB).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${n} bytes`;
}

/** Node counts: exact up to a million, then three digits (`4.36e+8`). */
export function formatCount(n: number): string {
  return n < 1e6 ? String(n) : n.toPrecision(3);
}

/** At least how many UTF-8 bytes `text` has when that is more than `max`; undefined when within. */
export function bytesOver(text: string, max: number): number | undefined {
  // A UTF-16 unit encodes to 1–3 bytes: a string longer than the limit is over it already (and is
  // not encoded, however large), one of at most a third of it cannot be.
  if (text.length > max) return text.length;
  if (text.length * 3 <= max) return undefined;
  const n = new TextEncoder().encode(text).length;
  return n > max ? n : undefined;
}
