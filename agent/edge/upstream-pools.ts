// One undici keep-alive Pool per upstream address ('127.0.0.1:PORT'), created on first use.
// Pools of upstreams that left the route table are closed gracefully (queued requests finish).
import { Pool } from 'undici';

export interface PoolSettings { connections: number; headersTimeoutMs: number; bodyTimeoutMs: number; connectTimeoutMs: number }

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #settings: PoolSettings;

  constructor(settings: PoolSettings) { this.#settings = settings; }

  get(address: string): Pool {
    let pool = this.#pools.get(address);
    if (!pool) {
      const s = this.#settings;
      pool = new Pool(`http://${address}`, {
        connections: s.connections,
        headersTimeout: s.headersTimeoutMs,
        bodyTimeout: s.bodyTimeoutMs,
        connectTimeout: s.connectTimeoutMs,
        keepAliveTimeout: 30_000,
        // Upstreams are local: never pipeline (one slow response must not hold others).
        pipelining: 1,
      });
      this.#pools.set(address, pool);
    }
    return pool;
  }

  /** Closes (gracefully) the pools of addresses not in `keep`. */
  prune(keep: Set<string>): void {
    for (const [addr, pool] of this.#pools) {
      if (keep.has(addr)) continue;
      this.#pools.delete(addr);
      void pool.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
