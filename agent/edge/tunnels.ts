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

  /** A slot for a tunnel from `address`, or undefined when a cap is reached (counted as refused). */
  take(address: string): TunnelSlot | undefined {
    const client = clientKey(address);
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

/**
 * Whose tunnels count together: an IPv4 address (IPv4-mapped IPv6 included), or an IPv6 /64 —
 * one host is normally given a whole /64, so a per-address cap would not hold it back.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...new Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
