// The secret values of this process (stack secrets, registry passwords), collected as they are
// read, so every sink that publishes text — the deploy log and the journald/terminal logger —
// scrubs against the same list, including values registered after the sink was created.

export class SecretValues {
  private readonly values: string[] = [];
  constructor(initial: readonly string[] = []) {
    for (const v of initial) this.add(v);
  }

  add(value: string): void {
    if (!this.values.includes(value)) this.values.push(value);
  }

  list(): readonly string[] {
    return this.values;
  }
}
