// Runs the autoinfra CLI from source as a separate process (the way an operator runs it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, type ExecResult } from './exec.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_ENTRY = path.join(REPO_ROOT, 'agent', 'cli', 'main.ts');

export function runAutoinfra(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ExecResult> {
  return exec(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { env: { ...process.env, ...opts.env }, input: opts.input, allowFail: true, cwd: REPO_ROOT });
}
