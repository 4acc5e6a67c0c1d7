// Builds the `autoinfra` command tree. One verb per file under agent/cli/; this file only wires them.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { AutoinfraError, InvalidInputError, UsageError } from '../../shared/errors.js';
import { createLogger, type Logger } from '../logger.js';
import { DEFAULT_CONFIG_PATH } from '../config/schema.js';
import { registerVerbs } from './verbs.js';
import { redactUrlCredentials } from '../../shared/url-credentials.js';
import type { SecretValues } from '../../shared/log/secret-values.js';

export interface GlobalOptions {
  config: string;
  /** True when --config or AUTOINFRA_CONFIG named the file (not the default path). */
  configGiven: boolean;
  logFormat?: 'text' | 'json';
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

/** What every verb gets: the global options and a way to make the logger. */
export interface CliContext {
  globals(): GlobalOptions;
  logger(defaults?: { format?: 'text' | 'json'; level?: 'error' | 'warn' | 'info' | 'debug'; component?: string; secrets?: SecretValues }): Logger;
  /** Results go to stdout; this is the one place they are written. */
  out(text: string): void;
}

export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

export function buildProgram(): Command {
  const program = new Command('autoinfra')
    .description('GitOps pull-agent: deploys the compose stacks of a git repo onto this host, blue-green and health-gated, with a signed deploy log.')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('-c, --config <file>', 'agent config file').default(DEFAULT_CONFIG_PATH).env('AUTOINFRA_CONFIG'))
    .addOption(new Option('--log-format <format>', 'log line format').choices(['text', 'json']))
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']))
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions(false)
    // Before the verbs are added: subcommands copy it, so their usage errors reach runCli too.
    .exitOverride();

  const ctx: CliContext = {
    globals: () => ({ ...program.opts<GlobalOptions>(), configGiven: program.getOptionValueSource('config') !== 'default' }),
    logger: (d = {}) => {
      const g = program.opts<GlobalOptions>();
      return createLogger({
        format: g.logFormat ?? d.format ?? (process.stderr.isTTY ? 'text' : 'text'),
        level: g.logLevel ?? d.level ?? 'info',
        defaultMeta: d.component ? { component: d.component } : undefined,
        secrets: d.secrets,
      });
    },
    out: (text) => { process.stdout.write(text.endsWith('\n') ? text : text + '\n'); },
  };
  registerVerbs(program, ctx);
  return program;
}

/** Exit codes: 0 ok, 1 operation failed, 2 bad input (config, compose, arguments). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // Help and --version exit 0; every other commander error is a usage error: 2, never 1
      // (1 means an operation failed, and `wait` gives each code a meaning a CI job reads).
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`autoinfra: ${formatCliError(e)}\n`);
    return e instanceof InvalidInputError || e instanceof UsageError ? 2 : 1;
  }
}

export function formatCliError(e: unknown): string {
  if (e instanceof AutoinfraError) return `${e.message} [${e.code}]`;
  // Library errors (isomorphic-git, undici) quote the URL they were given, credentials included.
  if (e instanceof Error) return redactUrlCredentials(e.message);
  return redactUrlCredentials(String(e));
}
