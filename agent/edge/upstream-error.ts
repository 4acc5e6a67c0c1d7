// How a failed exchange with an upstream is classified: whose fault it is decides what the
// edge answers and whether the post-switch watch counts it (docs/security.md).

export type ErrorKind = 'connect' | 'timeout' | 'other' | 'request';
export function errorKind(err: Error): ErrorKind {
  const code = (err as { code?: string }).code ?? '';
  // undici refused the request before sending anything (a header it cannot forward, a body shorter
  // than its Content-Length): the client's request is at fault, not the upstream.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 'request';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  return 'other';
}

