// The operator's journal (journald, `autoinfra agent` on a terminal) as a reader of the
// deploy-event stream: one line per step with its duration, and one summary line when a commit
// goes live (routes and total time), so a deploy can be followed as it happens. Pure formatting
// (`journalLineOf`) apart from the subscription.
import type { DeployEvent, DeployEvents } from '../events.js';
import type { Logger } from '../logger.js';

export interface JournalLine { level: 'info' | 'warn' | 'debug'; message: string }

const short = (sha?: string): string => (sha ? sha.slice(0, 12) : '-');
const took = (ms?: number): string => (ms === undefined ? '' : ` in ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`}`);

/** The journal line of an event (undefined: not worth a line). */
export function journalLineOf(e: DeployEvent): JournalLine | undefined {
  const where = `${e.env.name} ${short(e.commit)}`;
  const svc = e.service ? ` ${e.service}${e.colour ? ` (${e.colour})` : ''}` : '';
  const d = e.detail ?? {};
  switch (e.type) {
    case 'detected': return undefined; // the source already logs each new head
    case 'pulled': return { level: 'info', message: `${where}${svc}: pulled ${String(d.image ?? '')}${took(e.durationMs)}` };
    case 'built': return { level: 'info', message: `${where}${svc}: built ${String(d.image ?? '')}${took(e.durationMs)}` };
    case 'preflight': return { level: 'info', message: `${where}: images ready${took(e.durationMs)}` };
    case 'started': return { level: 'info', message: `${where}${svc}: started${took(e.durationMs)}` };
    case 'gated': return { level: 'info', message: `${where}${svc}: healthy${typeof d.attempts === 'number' ? ` after ${d.attempts} checks` : ''}${took(e.durationMs)}` };
    case 'switched': return { level: 'info', message: `${where}: traffic switched to the new colour${took(e.durationMs)}` };
    case 'watching': return { level: 'info', message: `${where}: watching the new colour${typeof d.untilMs === 'number' ? ` for ${took(d.untilMs).slice(4)}` : ''}` };
    case 'drained': return { level: 'info', message: `${where}${svc}: old colour drained${d.drained === false ? ' (drain window ran out)' : ''}` };
    case 'removed': return { level: 'debug', message: `${where}${svc}: removed ${String(d.container ?? '')} (${String(d.why ?? '')})` };
    case 'live': {
      const routes = Array.isArray(d.routes) && d.routes.length ? `: ${d.routes.join(', ')}` : '';
      return { level: 'info', message: `${e.env.name} is live at ${short(e.commit)}${took(e.durationMs)}${routes}` };
    }
    case 'unchanged': return { level: 'info', message: `${where}: nothing to change` };
    case 'superseded': case 'skipped': return { level: 'info', message: `${where}: ${e.type}: ${e.reason ?? ''}` };
    case 'reverted': return { level: 'warn', message: `${where}: traffic sent back to the previous colour: ${e.reason ?? ''}` };
    case 'drift-repaired': return undefined; // the drift step writes its own warning
    case 'failed': return e.service ? { level: 'warn', message: `${where}${svc}: failed at ${e.stage ?? '?'}: ${e.reason ?? ''}` } : undefined; // the commit's own failure: deploy/fail.ts warns with what still serves
    default: return undefined;
  }
}

export function subscribeJournal(events: DeployEvents, logger: Logger): () => void {
  return events.subscribe((e) => {
    const line = journalLineOf(e);
    if (line) logger[line.level](line.message, { env: e.env.name, ...(e.commit ? { commit: e.commit } : {}), ...(e.service ? { service: e.service } : {}) });
  });
}
