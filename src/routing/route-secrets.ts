// Keys belong in the environment, never in a routes file (it gets committed, shared and pasted into issues).
// Finds a key written in the file by the name of its field, the name of its header, or the look of its value.
// The message names where the key is, never the key.

/** Field names that hold a credential (api_key, apiKey, token, secret, password, authorization, ...). */
const SECRET_FIELD = /(^|[_-])(api[_-]?key|apikey|key|token|secret|password|passwd|authorization|auth|credentials?)$/i;
/** Headers that carry a credential however their value looks. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'openai-api-key', 'anthropic-api-key']);
/** Values that look like a key: an auth scheme with a credential, or an OpenAI / Anthropic / DeepSeek style key. */
const SECRET_VALUE = [/^\s*(bearer|basic|token)\s+\S+/i, /(^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}/, /(^|[^A-Za-z0-9])(ak|pk|rk)-[A-Za-z0-9_-]{20,}/];

export function looksLikeKey(value: string): boolean {
  return SECRET_VALUE.some((pattern) => pattern.test(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A base URL with a user/password or a `key=`-like query parameter carries a credential too. */
function urlHoldsCredential(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.username !== '' || url.password !== '') return true;
    for (const name of url.searchParams.keys()) if (SECRET_FIELD.test(name)) return true;
  } catch {
    // not a URL: the schema says what it expected
  }
  return false;
}

/** Where in the parsed file a key is written (`routes[1].headers.authorization`), or undefined. */
export function findWrittenKey(file: unknown): string | undefined {
  return walk(file, '');
}

function walk(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return looksLikeKey(value) || urlHoldsCredential(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = walk(value[index], `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const inHeaders = /(^|\.)headers$/.test(path);
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    // api_key_env names a variable: that is the right way, not a key.
    if (key !== 'api_key_env' && SECRET_FIELD.test(key)) return childPath;
    if (inHeaders && SECRET_HEADERS.has(key.toLowerCase())) return childPath;
    const found = walk(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}
