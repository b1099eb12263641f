// The one set of rules for keeping secrets out of text: log lines, error messages, error rows and summaries.
// Known secret values (the API key, --header values) are replaced in every form they take in text, and so is
// anything shaped like a provider API key, which a 401 body may echo even when it is not the configured key.
// Field names (apiKey, authorization, ...) are pino's redact paths in ui/logger.ts; this covers free text.
// Imports nothing, so ui/, provider/ and engine/ may all use it.

export const REDACTED = '[redacted]';

/**
 * Shorter values are not scrubbed: every --header value counts as secret, and replacing "full", "demo" or "true"
 * everywhere would mangle messages and break JSON log lines while protecting nothing guessable.
 */
export const MIN_SECRET_LENGTH = 6;

/** OpenAI, Anthropic and most compatible gateways' keys (`sk-...`, `sk-proj-...`), masked echoes (`sk-abc***xyz`) included. */
const KEY_SHAPED = /\bsk-[A-Za-z0-9_*.-]{4,}/g;

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
  return [...variants]
    .filter((variant) => variant.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/** A function that replaces every known secret value and every key-shaped string with `[redacted]`; build once, call often. */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const variants = secretVariants(secrets);
  return (text) => {
    let result = text;
    for (const variant of variants) {
      if (result.includes(variant)) result = result.split(variant).join(REDACTED);
    }
    // Cheap test first: most lines hold no "sk-" at all.
    return result.includes('sk-') ? result.replace(KEY_SHAPED, REDACTED) : result;
  };
}

/** `text` with every known secret value and every key-shaped string replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secretRedactor(secrets)(text);
}
