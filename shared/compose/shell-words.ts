// Splits a command string into words the way compose does (shellwords): whitespace separates,
// single quotes are literal, double quotes allow \" \\ \$ escapes, backslash escapes outside quotes.

export function splitShellWords(s: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n') { if (inWord) { words.push(cur); cur = ''; inWord = false; } continue; }
    inWord = true;
    if (c === '\\') { i++; if (i < s.length) cur += s[i]; continue; }
    if (c === "'") { const e = s.indexOf("'", i + 1); if (e < 0) return undefined; cur += s.slice(i + 1, e); i = e; continue; }
    if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1])) { j++; }
        cur += s[j];
      }
      if (j >= s.length) return undefined;
      i = j;
      continue;
    }
    cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}
