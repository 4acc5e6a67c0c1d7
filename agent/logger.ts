// The one logger. Readable lines on a terminal, JSON lines (journald-friendly) with --log-format json.
// Everything else logs through the Logger it is given; nothing writes log lines to stdout/stderr itself.
import winston from 'winston';
import { redactDetail } from '../shared/log/redact.js';
import type { SecretValues } from '../shared/log/secret-values.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Logger = winston.Logger;

export interface LoggerOptions {
  format?: LogFormat;
  level?: LogLevel;
  /** Extra fields on every line (e.g. `{ component: 'edge' }`). */
  defaultMeta?: Record<string, unknown>;
  /** Defaults to stderr, so a command's results on stdout stay machine-readable. */
  stream?: NodeJS.WritableStream;
  /** Values to scrub from every line (read at each line, so later additions count). */
  secrets?: SecretValues;
}

// Message and meta through the deploy log's scrubber: the journal and `status` readers are not
// meant to see secret values either, and errors quote them (a failed render, a container's output).
const scrub = winston.format((info, opts?: unknown) => {
  const secrets = (opts as { secrets?: SecretValues } | undefined)?.secrets;
  const fields = Object.fromEntries(Object.entries(info));
  const clean = redactDetail(fields, secrets?.list() ?? []) ?? {};
  for (const k of Object.keys(info)) if (!(k in clean)) delete info[k];
  Object.assign(info, clean);
  return info;
});

const text = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown> & { level: string; message: unknown };
  delete (rest as Record<symbol, unknown>)[Symbol.for('level')];
  delete (rest as Record<symbol, unknown>)[Symbol.for('splat')];
  const extras = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${timestamp} ${level.padEnd(5)} ${component ? `[${String(component)}] ` : ''}${String(message)}${extras ? ` ${extras}` : ''}`;
});

export function createLogger(opts: LoggerOptions = {}): Logger {
  const json = opts.format === 'json';
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: opts.defaultMeta,
    format: json
      ? winston.format.combine(winston.format.errors({ stack: false }), scrub({ secrets: opts.secrets }), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(scrub({ secrets: opts.secrets }), winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), text),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stderr })],
  });
}

/** A logger that drops everything (for library use and quiet tests). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
