// `match` patterns of --routes: a glob on the model name, compiled once to an anchored RegExp.
// `*` any run of characters (slashes included: model names are not paths), `?` one character,
// `[abc]` / `[a-z]` / `[!abc]` a character class; every other character matches itself.

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

function escapeLiteral(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** The class starting at `pattern[start] === '['`, as regex source and the index after it; undefined when unclosed. */
function readClass(pattern: string, start: number): { source: string; next: number } | undefined {
  let index = start + 1;
  let negate = false;
  if (pattern[index] === '!' || pattern[index] === '^') {
    negate = true;
    index++;
  }
  let body = '';
  // A `]` right after the opening (or after `!`) is a literal member, as in POSIX globs.
  let first = true;
  for (; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === ']' && !first) return { source: `[${negate ? '^' : ''}${body}]`, next: index + 1 };
    body += char === '\\' || char === ']' || char === '[' || char === '^' ? `\\${char}` : char;
    first = false;
  }
  return undefined;
}

/** Anchored, case-sensitive RegExp of a glob; an unclosed `[` is a literal. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; ) {
    const char = pattern[index] as string;
    if (char === '*') {
      source += '.*';
      index++;
    } else if (char === '?') {
      source += '.';
      index++;
    } else if (char === '[') {
      const klass = readClass(pattern, index);
      if (klass === undefined) {
        source += '\\[';
        index++;
      } else {
        source += klass.source;
        index = klass.next;
      }
    } else {
      source += escapeLiteral(char);
      index++;
    }
  }
  return new RegExp(`^${source}$`, 's');
}
