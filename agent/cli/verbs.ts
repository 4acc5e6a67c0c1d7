// The list of verbs. Each lives in its own file and exports `register(parent, ctx)`.
import type { Command } from 'commander';
import type { CliContext } from './program.js';
import * as agent from './agent.js';
import * as edge from './edge.js';
import * as composeConfig from './compose-config.js';
import * as render from './render.js';
import * as plan from './plan.js';
import * as status from './status.js';
import * as trigger from './trigger.js';
import * as wait from './wait.js';
import * as logShow from './log-show.js';
import * as logVerify from './log-verify.js';
import * as keygen from './keygen.js';
import * as secretsEncrypt from './secrets-encrypt.js';
import * as demo from './demo.js';

export function registerVerbs(program: Command, ctx: CliContext): void {
  agent.register(program, ctx);
  edge.register(program, ctx);
  const compose = program.command('compose').description('work with compose files the way the agent reads them');
  composeConfig.register(compose, ctx);
  render.register(program, ctx);
  plan.register(program, ctx);
  status.register(program, ctx);
  trigger.register(program, ctx);
  wait.register(program, ctx);
  const log = program.command('log').description('read and verify the signed deploy log');
  logShow.register(log, ctx);
  logVerify.register(log, ctx);
  keygen.register(program, ctx);
  const secrets = program.command('secrets').description('manage age-encrypted secrets in the deployment repo');
  secretsEncrypt.register(secrets, ctx);
  demo.register(program, ctx);
}
