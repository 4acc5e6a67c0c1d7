// Parses and validates infra/autoinfra.yml. Pure: the caller passes the text.
import { InvalidInputError, type Problem } from '../errors.js';
import { validateLocated } from '../schema.js';
import { parseLocated } from '../yaml/located.js';
import { EMPTY_POLICY, type Policy } from './policy.js';
import { policySchema } from './schema.js';

export class PolicyError extends InvalidInputError {
  static readonly code = 'E_POLICY';
  constructor(file: string, problems: Problem[]) {
    super(PolicyError.code, `invalid repo policy ${file}`, problems);
    this.name = 'PolicyError';
  }
}

/** Problems of a policy file, for callers that report them together with others. */
export function checkPolicy(file: string, text: string): { policy: Policy; problems: Problem[] } {
  const ld = parseLocated(file, text);
  if (ld.problems.length) return { policy: EMPTY_POLICY, problems: ld.problems };
  const value = ld.value ?? {};
  const problems = validateLocated(ld, policySchema, value);
  if (problems.length) return { policy: EMPTY_POLICY, problems };
  const v = value as Partial<Policy>;
  return { policy: { ...v, signers: v.signers ?? [], agents: v.agents ?? {}, allow: v.allow ?? {} }, problems: [] };
}

/** Throws PolicyError with every problem. */
export function loadPolicy(file: string, text: string): Policy {
  const { policy, problems } = checkPolicy(file, text);
  if (problems.length) throw new PolicyError(file, problems);
  return policy;
}
