// Reading a file that agent.yml names (keys, secrets, credentials): a read failure becomes the
// caller's typed error, with "not found" for a missing file and the reason otherwise.
import { readFile } from 'node:fs/promises';
import { describeError } from '../../shared/errors.js';

export async function readConfiguredFile(file: string, failed: (reason: string) => Error): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw failed((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : describeError(e));
  }
}
