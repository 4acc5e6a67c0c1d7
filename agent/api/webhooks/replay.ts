// Pure: delivery ids already acted on, bounded (oldest forgotten first), so a captured delivery
// sent again is refused. Only deliveries whose signature checked are remembered: an attacker
// without the secret cannot fill the memory to push real ids out.
export class DeliveryMemory {
  private readonly ids = new Map<string, number>();

  constructor(private readonly capacity = 1000) {}

  /** True when `id` was seen before (and keeps it fresh); otherwise remembers it and returns false. */
  seen(id: string, at = Date.now()): boolean {
    if (this.ids.has(id)) {
      this.ids.delete(id);
      this.ids.set(id, at);
      return true;
    }
    this.ids.set(id, at);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    return false;
  }

  get size(): number {
    return this.ids.size;
  }
}
