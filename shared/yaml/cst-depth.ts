// Nesting depth of a YAML text, measured before the yaml library builds anything from it. Its
// composer recurses once per level (a 100 000-deep `[[[[…` overflows the call stack or exhausts
// memory there) and its parser keeps ~1.7 KB per open level (a 1 MiB `[[[[…` would take
// ~1.7 GB). So: flow nesting is counted on the lexer's token stream, which holds nothing; block
// nesting needs one more column of indentation per level, so within the size limit it stays
// small enough to build, and is then counted on the parser's token tree (the CST) with an explicit
// stack before composing.
import { CST, Lexer } from 'yaml';

/** The offset of the first flow collection (`[`, `{`) nested deeper than `max`, or undefined. */
export function flowTooDeep(text: string, max: number): number | undefined {
  let depth = 0;
  let offset = 0;
  // A lone "[" or "{" token always opens a flow collection: inside scalars and comments the
  // characters are part of a longer token.
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') { if (++depth > max) return offset; }
    else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    // Control tokens (document start, scalar marker, flow-end) take no room in the text.
    if (token.length !== 1 || token >= ' ' || token === '\t' || token === '\n') offset += token.length;
  }
  return undefined;
}

/** The offset of the first collection nested deeper than `max`, or undefined when none is. */
export function firstTooDeep(tokens: CST.Token[], max: number): number | undefined {
  const todo: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (todo.length) {
    const { token, depth } = todo.pop()!;
    if (token.type === 'document') {
      if (token.value) todo.push({ token: token.value, depth });
      continue;
    }
    if (!CST.isCollection(token)) continue;
    if (depth + 1 > max) return token.offset;
    for (const item of token.items) {
      if (item.key) todo.push({ token: item.key, depth: depth + 1 });
      if (item.value) todo.push({ token: item.value, depth: depth + 1 });
    }
  }
  return undefined;
}
