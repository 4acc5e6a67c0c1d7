// `autoinfra compose config`: reads the files, then hands their contents to the pure loader in
// shared/compose; prints the merged, interpolated, validated model like `docker compose config`.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { formatConfig, inlineEnvFiles } from '../../shared/compose/config-output.js';
import { loadCompose, type ComposeSource } from '../../shared/compose/load.js';
import { checkPolicy, PolicyError } from '../../shared/policy/load.js';
import type { CliContext } from './program.js';

interface ComposeConfigArgs { file?: string[]; envFile?: string; projectDirectory?: string; format: 'yaml' | 'json' }

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('config')
    .description('print the merged, interpolated, validated compose model (like docker compose config)')
    .option('-f, --file <file...>', 'compose files, merged in order')
    .option('--env-file <file>', 'env file for interpolation (default: .env in the project directory)')
    .option('--project-directory <dir>', 'project directory (default: the directory of the first file)')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (args: ComposeConfigArgs) => {
      ctx.out(await composeConfig(args));
    });
}

export async function composeConfig(args: ComposeConfigArgs, processEnv: Record<string, string | undefined> = process.env): Promise<string> {
  const files = args.file?.length ? args.file : [DEFAULT_FILES.find((f) => existsSync(f)) ?? 'docker-compose.yml'];
  const sources: ComposeSource[] = files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
  const projectDir = path.resolve(args.projectDirectory ?? path.dirname(files[0])).split(path.sep).join('/');
  const envPath = args.envFile ?? path.join(projectDir, '.env');
  const envFile = existsSync(envPath) ? { file: envPath, text: readFileSync(envPath, 'utf8') } : undefined;
  if (args.envFile && !envFile) throw new Error(`env file ${args.envFile} not found`);
  const policyPath = path.join(projectDir, 'autoinfra.yml');
  let allow = {};
  if (existsSync(policyPath)) {
    const r = checkPolicy(policyPath, readFileSync(policyPath, 'utf8'));
    if (r.problems.length) throw new PolicyError(policyPath, r.problems);
    allow = r.policy.allow;
  }
  const loaded = loadCompose({
    files: sources, projectDir, envFile, processEnv, allow,
    readFile: (f) => (existsSync(f) ? readFileSync(f, 'utf8') : undefined),
  });
  for (const w of loaded.warnings) process.stderr.write(`WARN ${w}\n`);
  const model = await inlineEnvFiles(loaded, async (p) => (existsSync(p) ? readFile(p, 'utf8') : undefined));
  if (model.name === undefined) model.name = projectName(projectDir);
  const { name, ...rest } = model;
  return formatConfig({ name, ...rest }, args.format);
}

/** Like compose: the directory's base name, lower-cased, with characters compose refuses removed. */
function projectName(dir: string): string {
  return path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'default';
}
