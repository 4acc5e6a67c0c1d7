// The GitSource an agent.yml describes (used by the agent and by the read-only CLI verbs).
import path from 'node:path';
import type { AgentConfig } from '../config/schema.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { GitSource } from './git-source.js';

export function gitSourceFor(c: AgentConfig, clock: Clock, logger: Logger): GitSource {
  return new GitSource({
    url: c.repo.url, auth: c.repo.auth, dir: path.join(c.stateDir, 'repo.git'), branches: c.branches, previews: c.previews,
    intervalMs: c.poll.intervalMs, maxBackoffMs: c.poll.maxBackoffMs, clock, logger, host: c.host,
  });
}
