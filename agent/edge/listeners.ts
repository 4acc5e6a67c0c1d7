// Where the edge listens: ADDRESS:PORT, a unix socket path, or sockets inherited from systemd
// socket activation (LISTEN_FDS / LISTEN_PID, fds from 3). An inherited socket is what lets a
// restart drop no connection: the kernel keeps queueing on it while one edge hands over to the next.
import type { Server } from 'node:net';
import { EdgeListenError } from './errors.js';

export type ListenSpec = { kind: 'tcp'; host?: string; port: number; text: string } | { kind: 'unix'; path: string; text: string } | { kind: 'fd'; fd: number; text: string };

/** The first inherited descriptor (SD_LISTEN_FDS_START). */
export const SYSTEMD_FD_START = 3;

/** Parses one listen address. 'systemd' is expanded by `listenSpecs`. */
export function parseListenAddress(text: string): ListenSpec {
  if (text.startsWith('/')) return { kind: 'unix', path: text, text };
  const m = /^(\[([0-9a-fA-F:]+)\]|([\w.-]*))?:(\d{1,5})$/.exec(text);
  if (!m || Number(m[4]) > 65535) throw new EdgeListenError(text, 'expected ADDRESS:PORT (e.g. :80 or 127.0.0.1:8080), a unix socket path, or "systemd"');
  const host = m[2] ?? (m[3] || undefined);
  return { kind: 'tcp', host, port: Number(m[4]), text };
}

/** The fds passed by systemd to this process (empty when none, or they were meant for another pid). */
export function inheritedFds(env: NodeJS.ProcessEnv, pid: number): number[] {
  const n = Number(env.LISTEN_FDS ?? 0);
  if (!Number.isInteger(n) || n <= 0) return [];
  if (env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) !== pid) return [];
  return Array.from({ length: n }, (_, i) => SYSTEMD_FD_START + i);
}

/**
 * The plain listeners to open. When systemd passed sockets, they replace the configured addresses
 * (the socket unit owns them); 'systemd' in the list demands inherited sockets.
 */
export function listenSpecs(addresses: string[], fds: number[]): ListenSpec[] {
  if (fds.length) return fds.map((fd) => ({ kind: 'fd', fd, text: `systemd fd ${fd}` }));
  if (addresses.includes('systemd')) throw new EdgeListenError('systemd', 'no socket was inherited (LISTEN_FDS is not set for this process): start the edge from its systemd socket unit, or give --listen ADDRESS:PORT');
  return addresses.map(parseListenAddress);
}

export function listen(server: Server, spec: ListenSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => reject(new EdgeListenError(spec.text, e.code ?? e.message, e));
    server.once('error', onError);
    const done = (): void => { server.off('error', onError); resolve(); };
    if (spec.kind === 'tcp') server.listen({ host: spec.host, port: spec.port, backlog: 4096 }, done);
    else if (spec.kind === 'unix') server.listen({ path: spec.path, backlog: 4096 }, done);
    else server.listen({ fd: spec.fd }, done);
  });
}
