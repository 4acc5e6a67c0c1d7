// The webhook endpoint's I/O: read the body under a size limit, check the signature, refuse
// replays, then ask the source to poll the named branch and answer 202 at once (the poll and the
// deploy happen after the answer: GitHub gives a hook 10 s, a deploy takes longer).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AutoinfraError } from '../../../shared/errors.js';
import { readConfiguredFile } from '../../config/configured-file.js';
import type { Logger } from '../../logger.js';
import { verifyHook, type HookKind } from './signature.js';
import { parseHook } from './payload.js';
import { DeliveryMemory } from './replay.js';

export const MAX_HOOK_BODY = 1024 * 1024;

export class WebhookSecretError extends AutoinfraError {
  static readonly code = 'E_WEBHOOK_SECRET';
  constructor(file: string, reason: string) {
    super(WebhookSecretError.code, `webhook secret file ${file}: ${reason}`, { file, reason });
    this.name = 'WebhookSecretError';
  }
}

/** The secret, trimmed of a trailing newline (files written with `echo`); an empty secret is refused. */
export async function loadWebhookSecret(file: string): Promise<Buffer> {
  const text = await readConfiguredFile(file, (reason) => new WebhookSecretError(file, reason));
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length < 16) throw new WebhookSecretError(file, 'shorter than 16 characters (use e.g. `openssl rand -hex 32`)');
  return Buffer.from(secret, 'utf8');
}

export interface WebhookDeps {
  secret: Buffer;
  trigger(branch: string): void;
  logger: Logger;
  maxBytes?: number;
  memory?: DeliveryMemory;
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse, hint?: HookKind) => void;

export function webhookHandler(d: WebhookDeps): WebhookHandler {
  const maxBytes = d.maxBytes ?? MAX_HOOK_BODY;
  const memory = d.memory ?? new DeliveryMemory(1000);
  // One warning per source address (bounded): a misconfigured or hostile sender must not flood the log.
  const warned = new DeliveryMemory(1000);
  const reply = (res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
    res.end(JSON.stringify(body) + '\n');
  };
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string, close = false): void => {
    const from = req.socket.remoteAddress ?? '?';
    if (!warned.seen(`${status} ${from}`)) d.logger.warn(`webhook from ${from} refused (${status}): ${reason}; further refusals from it are not logged`);
    reply(res, status, { error: reason }, close);
  };

  return (req, res, hint) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      refuse(req, res, 413, `body of ${declared} bytes is over the ${maxBytes}-byte limit`, true);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        refuse(req, res, 413, `body is over the ${maxBytes}-byte limit`, true);
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (over) return;
      const body = Buffer.concat(chunks);
      const verdict = verifyHook(req.headers, body, d.secret, hint);
      if (!verdict.ok) return refuse(req, res, 401, verdict.reason);
      if (verdict.delivery && memory.seen(`${verdict.kind}:${verdict.delivery}`)) {
        return refuse(req, res, 409, `delivery ${verdict.delivery} was already received (replay refused)`);
      }
      const hook = parseHook(verdict.kind, req.headers, body);
      switch (hook.type) {
        case 'ping': return reply(res, 200, { ok: true, kind: verdict.kind });
        case 'ignored': return reply(res, 202, { ignored: hook.reason });
        case 'invalid': return refuse(req, res, 400, hook.reason);
        case 'push':
          d.logger.info(`webhook (${verdict.kind}${verdict.delivery ? ` ${verdict.delivery}` : ''}): push to ${hook.branch}${hook.commit ? ` at ${hook.commit.slice(0, 12)}` : ''}; polling now`);
          d.trigger(hook.branch);
          return reply(res, 202, { triggered: hook.branch, ...(hook.commit ? { commit: hook.commit } : {}) });
      }
    });
  };
}
