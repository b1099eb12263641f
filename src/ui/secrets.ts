// Known secret values (the API key, --header values) must never reach a log line, an error row or a summary.
// Field names are covered by pino's redact paths; this covers the values wherever they end up in free text,
// such as an upstream error message that echoes the Authorization header.

export const REDACTED = '[redacted]';

/** Shorter values are not scrubbed: replacing every "1" or "true" would mangle logs and protect nothing guessable. */
export const MIN_SECRET_LENGTH = 6;

/** The forms a secret can take in text: as given, without an auth scheme ("Bearer x"), JSON-escaped, URL-encoded. */
export function secretVariants(secrets: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const secret of secrets) {
    const value = secret.trim();
    const schemeless = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
    for (const form of [value, schemeless]) {
      if (form === undefined) continue;
      variants.add(form);
      variants.add(JSON.stringify(form).slice(1, -1));
      variants.add(encodeURIComponent(form));
    }
  }
  // Longest first, so a value is replaced whole before any shorter value that is part of it.
  return [...variants].filter((variant) => variant.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** A function that replaces every known secret value in a text with `[redacted]`; build once, call often. */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const variants = secretVariants(secrets);
  if (variants.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const variant of variants) {
      if (result.includes(variant)) result = result.split(variant).join(REDACTED);
    }
    return result;
  };
}

/** `text` with every known secret value replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secretRedactor(secrets)(text);
}
