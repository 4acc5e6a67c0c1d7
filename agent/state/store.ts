// The state directory: one JSON file per environment, written atomically after every mutation.
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { decodeEnvState, emptyEnvState, type EnvState } from './env-state.js';

export class StateStore {
  private readonly dir: string;
  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'envs');
  }

  private file(env: string): string {
    return path.join(this.dir, `${env}.json`);
  }

  async load(env: string, branch: string): Promise<EnvState> {
    try {
      return decodeEnvState(JSON.parse(await readFile(this.file(env), 'utf8')), env, branch);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyEnvState(env, branch);
      throw e;
    }
  }

  async save(state: EnvState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.file(state.env), JSON.stringify(state, null, 2) + '\n');
  }

  /** Forgets an environment (torn down): its live set, failures and journal. */
  async remove(env: string): Promise<void> {
    await rm(this.file(env), { force: true });
  }

  async list(): Promise<EnvState[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const out: EnvState[] = [];
    for (const n of names) {
      const env = n.slice(0, -5);
      out.push(await this.load(env, env));
    }
    return out;
  }
}
