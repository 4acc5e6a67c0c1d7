// The one place URL credentials are hidden before anything is printed or logged. A repo URL may
// carry `user:token@` (`log verify --repo`, git's own errors quote it back), so every message
// that can hold a URL goes through here, as git does when it prints a remote.

// scheme://, then userinfo up to the LAST `@` before the path, query or fragment (WHATWG URL
// parsing takes the last one, so `u:p@ss@host` has userinfo `u:p@ss`).
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s'"<>]*@/gi;

/** `text` with the userinfo of every URL in it replaced by `***` (`https://***@host/x`). */
export function redactUrlCredentials(text: string): string {
  return text.replace(USERINFO, '$1***@');
}
