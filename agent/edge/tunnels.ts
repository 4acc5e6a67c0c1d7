// Accounting of upgraded connections (tunnels): each one holds two file descriptors for as long as
// it lives, so a client that opens many and sends nothing could exhaust the edge's fds and make it
// reset every client. Slots are taken when the handshake starts (so concurrent handshakes cannot
// overshoot a cap) and given back exactly once when the tunnel, or the attempt, ends.
import type { EdgeStats } from './stats.js';

export interface TunnelCaps { maxTunnels: number; maxTunnelsPerClient: number }

/** One taken slot; `release` is idempotent. */
export interface TunnelSlot { release(): void }

export class TunnelSlots {
  readonly #caps: TunnelCaps;
  readonly #counts: EdgeStats['tunnels'];
  readonly #perClient = new Map<string, number>();

  constructor(caps: TunnelCaps, counts: EdgeStats['tunnels']) { this.#caps = caps; this.#counts = counts; }

  /** A slot for a tunnel from `client`, or undefined when a cap is reached (counted as refused). */
  take(client: string): TunnelSlot | undefined {
    const mine = this.#perClient.get(client) ?? 0;
    if (this.#counts.open >= this.#caps.maxTunnels || mine >= this.#caps.maxTunnelsPerClient) {
      this.#counts.refused++;
      return undefined;
    }
    this.#counts.open++;
    this.#perClient.set(client, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#counts.open--;
        const n = (this.#perClient.get(client) ?? 1) - 1;
        if (n <= 0) this.#perClient.delete(client); else this.#perClient.set(client, n);
      },
    };
  }

  idleClosed(): void { this.#counts.idleClosed++; }
}
