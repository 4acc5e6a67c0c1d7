// The repo policy (infra/autoinfra.yml) as plain data.

export interface Signer { key: string; name?: string; email?: string }
/** A pinned key with a validity window (seq or ISO time, inclusive): see shared/log/pinned-keys.ts. */
export interface WindowedKey { key: string; since?: number | string; until?: number | string }
export interface AgentKeys { signing_key?: string; signing_keys?: (string | WindowedKey)[]; age?: string }

/** A path alone means read-only. */
export type BindMountAllowance = string | { path: string; read_only?: boolean };

export interface PolicyAllow {
  privileged?: boolean;
  /** Host namespaces a service may join: network_mode/pid/ipc/uts/userns/cgroup `host`. */
  host_namespaces?: ('network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroup')[];
  /** Capabilities that may be added even though they break isolation (SYS_ADMIN, ALL, ...). */
  capabilities?: string[];
  /** `true` allows every device; a list allows those host device paths. */
  devices?: boolean | string[];
  /** Absolute host paths (and what is under them) that may be bind-mounted; read-only unless
   *  `read_only: false` (then only the path itself, and only when the service asks for `:rw`). */
  bind_mounts?: BindMountAllowance[];
  /** `external: true` volume names a non-production environment may use (production may use any
   *  name but another environment's `ai-…` objects). */
  external_volumes?: string[];
  /** `external: true` network names a non-production environment may join (likewise). */
  external_networks?: string[];
  /** seccomp/apparmor `unconfined`. */
  unconfined?: boolean;
}

export interface Policy {
  signers: Signer[];
  require_signed_commits?: boolean;
  agents: Record<string, AgentKeys>;
  previews?: { enabled?: boolean; branches?: string[]; pull_requests?: boolean; hosts?: string[]; domain?: string; ttl?: string | number; max?: number };
  defaults?: Record<string, unknown>;
  allow: PolicyAllow;
}

export const EMPTY_POLICY: Policy = Object.freeze({ signers: [], agents: {}, allow: {} }) as Policy;
