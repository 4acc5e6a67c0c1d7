// Where a secret file's JSON is broken, without the parser's words: V8's JSON.parse message quotes
// the text around the error ("Unexpected token 'h', "…hunter2…" is not valid JSON"), which for a
// credentials file is part of a password. Only the position survives, as line and column.

/** `not valid JSON at line L, column C` (or just `not valid JSON` when the parser gave no position). */
export function jsonSyntaxProblem(e: unknown, text: string): string {
  const m = e instanceof Error ? /\bposition (\d+)\b/.exec(e.message) : null;
  if (!m) return 'not valid JSON';
  const at = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return `not valid JSON at line ${line}, column ${column}`;
}
