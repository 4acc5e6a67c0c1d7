// The answers the edge gives itself (never the upstream's): small, clear bodies, on a ServerResponse
// or, for upgrade requests (whose socket has left Node's HTTP server), written raw.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Small, clear bodies for the answers the edge gives itself. */
export const EDGE_ANSWERS: Record<number, string> = {
  400: 'autoinfra edge: bad request\n',
  404: 'autoinfra edge: no route for this host\n',
  501: 'autoinfra edge: CONNECT is not supported (this is no forward proxy)\n',
  502: 'autoinfra edge: the upstream did not answer (bad gateway)\n',
  503: 'autoinfra edge: the upstream is overloaded, try again shortly\n',
  504: 'autoinfra edge: the upstream did not answer in time (gateway timeout)\n',
};

export const TUNNEL_LIMIT_ANSWER = 'autoinfra edge: too many open WebSocket connections, try again shortly\n';

export function sendEdgeAnswer(res: ServerResponse, status: number): void {
  const body = EDGE_ANSWERS[status] ?? `autoinfra edge: ${status}\n`;
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

const RAW_REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function rawAnswer(socket: Duplex, status: number, body = EDGE_ANSWERS[status] ?? ''): void {
  const reason = RAW_REASONS[status] ?? 'Bad Gateway';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

