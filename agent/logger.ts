// The one logger. Readable lines on a terminal, JSON lines (journald-friendly) with --log-format json.
// Everything else logs through the Logger it is given; nothing writes log lines to stdout/stderr itself.
import winston from 'winston';

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
}

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
      ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json())
      : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), text),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stderr })],
  });
}

/** A logger that drops everything (for library use and quiet tests). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
