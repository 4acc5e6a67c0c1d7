// Loads a merge fixture: test/fixtures/compose/<case>/{base.yml, overlay.yml?, dotenv?, process-env.json?}.
// Files are presented to the loader as they sit in a deployment repo (infra/…).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadComposeInput } from '../../../../shared/compose/load.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/compose');

export function fixtureInput(name: string): LoadComposeInput {
  const dir = path.join(FIXTURES, name);
  const read = (f: string): string | undefined => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : undefined);
  const files = [{ file: 'infra/docker-compose.yml', text: read('base.yml') as string }];
  const overlay = read('overlay.yml');
  if (overlay !== undefined) files.push({ file: 'infra/docker-compose-env-production.yml', text: overlay });
  const dotenv = read('dotenv');
  const processEnv = read('process-env.json');
  return {
    files,
    projectDir: 'infra',
    readFile: (p) => (p.startsWith('infra/') ? read(p.slice('infra/'.length)) : undefined),
    envFile: dotenv === undefined ? undefined : { file: 'infra/.env', text: dotenv },
    processEnv: processEnv === undefined ? {} : (JSON.parse(processEnv) as Record<string, string>),
  };
}
