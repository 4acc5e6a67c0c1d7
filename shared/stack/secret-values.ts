// The decrypted values a stack carries (secret env values, compose secrets, repo registry
// passwords): what must never reach the public deploy log. Pure; callers hand them to a scrubber.
import type { Stack } from './model.js';

export function secretValues(stack: Stack): string[] {
  const out: string[] = [];
  for (const svc of Object.values(stack.services)) for (const name of svc.secretEnvironment) if (svc.environment[name]) out.push(svc.environment[name]);
  for (const s of Object.values(stack.secrets)) {
    const text = new TextDecoder().decode(s.content).trim();
    if (text.length >= 4) out.push(text);
  }
  for (const c of Object.values(stack.registries ?? {})) out.push(c.password);
  return out;
}
