// `autoinfra secrets encrypt`: encrypts a file with age to the given recipients, or to every
// agent listed in infra/autoinfra.yml, so that each host can decrypt it at deploy time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError } from '../../shared/errors.js';
import { loadPolicy } from '../../shared/policy/load.js';
import { encryptAge } from '../../shared/secrets/age.js';
import type { CliContext } from './program.js';

interface EncryptArgs { to: string; output?: string; armor?: boolean }

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('encrypt')
    .description('encrypt a file for the given age recipients (or those in infra/autoinfra.yml)')
    .requiredOption('--to <recipients>', 'age recipients, comma-separated, or a path to infra/autoinfra.yml')
    .argument('<file>', 'plain file to encrypt')
    .option('-o, --output <file>', 'output file (default FILE.age)')
    .option('-a, --armor', 'write ASCII armor instead of binary')
    .action(async (file: string, args: EncryptArgs) => {
      const { out, recipients } = await encryptFile(file, args);
      ctx.out(`encrypted ${file} → ${out} for ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}`);
    });
}

/** Recipients from `--to`: a policy file (every agent's `age`) or a comma-separated list. */
export function resolveRecipients(to: string): string[] {
  if (/\.ya?ml$/.test(to) || (existsSync(to) && !to.startsWith('age1'))) {
    const policy = loadPolicy(to, readFileSync(to, 'utf8'));
    const list = Object.values(policy.agents).map((a) => a.age).filter((r): r is string => typeof r === 'string');
    if (!list.length) throw new InvalidInputError('E_AGE_RECIPIENT', 'no recipients', [{ file: to, path: 'agents', reason: 'no agent has an age recipient (run autoinfra keygen on each host and paste its output here)' }]);
    return list;
  }
  return to.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function encryptFile(file: string, args: EncryptArgs): Promise<{ out: string; recipients: string[] }> {
  const recipients = resolveRecipients(args.to);
  const data = await encryptAge(readFileSync(file), recipients, { armored: args.armor });
  const out = args.output ?? `${file}.age`;
  writeFileSync(out, data, { mode: 0o644 });
  return { out, recipients };
}
