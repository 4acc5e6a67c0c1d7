// env_file entries: plain dotenv files, or age-encrypted ones (`*.age`) whose variable names are
// marked secret. Values from later files win; `environment:` wins over all of them.
import type { Problem } from '../errors.js';
import { parseDotenv } from './dotenv.js';
import type { Lookup } from './interpolate.js';
import { bytesOver, DEFAULT_YAML_LIMITS, formatBytes } from '../yaml/limits.js';

export interface EnvFileContent {
  /** The file's bytes, already decrypted when it was encrypted. */
  text: string;
  secret: boolean;
  /** Values already parsed (a decrypted SOPS file): used as they are, no dotenv parsing. */
  values?: Map<string, string>;
}

export interface ResolvedEnv { values: Record<string, string>; secretNames: Set<string>; problems: Problem[] }

/** `read` returns undefined for a missing file, or throws a located-free error message. */
export async function resolveEnvFiles(
  entries: { path: string; required: boolean }[],
  read: (path: string) => Promise<EnvFileContent | undefined>,
  lookup: Lookup,
  where: (index: number, reason: string) => Problem,
): Promise<ResolvedEnv> {
  const values: Record<string, string> = {};
  const secretNames = new Set<string>();
  const problems: Problem[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    let content: EnvFileContent | undefined;
    try {
      content = await read(e.path);
    } catch (err) {
      problems.push(where(i, err instanceof Error ? err.message : String(err)));
      continue;
    }
    if (!content) {
      if (e.required) problems.push(where(i, `env file ${e.path} not found`));
      continue;
    }
    const over = content.values ? undefined : bytesOver(content.text, DEFAULT_YAML_LIMITS.maxBytes);
    if (over !== undefined) { problems.push(where(i, `env file ${e.path} is ${formatBytes(over)}, more than the ${formatBytes(DEFAULT_YAML_LIMITS.maxBytes)} an input file may have`)); continue; }
    const r = content.values ? { values: content.values, problems: [] } : parseDotenv(content.text, lookup);
    for (const p of r.problems) {
      // A secret file's problem text could quote its content: give the line only.
      problems.push(where(i, content.secret ? `${e.path} line ${p.line}: not a valid KEY=VALUE line (content not shown: the file is secret)` : `${e.path} line ${p.line}: ${p.reason}`));
    }
    for (const [k, v] of r.values) {
      values[k] = v;
      if (content.secret) secretNames.add(k); else secretNames.delete(k);
    }
  }
  return { values, secretNames, problems };
}
