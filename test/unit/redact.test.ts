import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, redactSecrets, secretRedactor } from '../../src/redact.js';

const KEY = 'sk-test-0123456789abcdef';

// guards: one set of rules for log lines (ui/) and provider error messages (provider/classify.ts), the union of
// the two modules that existed before: every form of a known value, and key-shaped strings nobody configured.
describe('redactSecrets', () => {
  it.each([
    ['the key in a sentence', `401: invalid key ${KEY} given`, [KEY], '401: invalid key [redacted] given'],
    ['every occurrence', `${KEY}/${KEY}`, [KEY], '[redacted]/[redacted]'],
    ['a whole auth header value', `sent Bearer ${KEY}`, [`Bearer ${KEY}`], 'sent [redacted]'],
    ['the token alone, from a header value with a scheme', 'token=tok-abcdef', ['Bearer tok-abcdef'], 'token=[redacted]'],
    ['a JSON-escaped value', JSON.stringify({ h: 'ab"cd\\ef' }), ['ab"cd\\ef'], '{"h":"[redacted]"}'],
    ['a URL-encoded value', 'GET /v1?key=a%2Fb%20c%3Dd', ['a/b c=d'], 'GET /v1?key=[redacted]'],
    ['the longer of two overlapping secrets whole', 'xx secret-long-value xx', ['secret', 'secret-long-value'], 'xx [redacted] xx'],
    ['a value padded with spaces, trimmed', 'org org-12345 here', ['  org-12345  '], 'org [redacted] here'],
    ['a key-shaped string nobody configured', 'a secret-one b sk-abcdEFGH1234 c', ['secret-one'], 'a [redacted] b [redacted] c'],
    ['a masked key a 401 body echoes', 'Incorrect API key provided: sk-proj-abc***xyz.', [], 'Incorrect API key provided: [redacted]'],
    ['an Anthropic-style key', 'x-api-key: sk-ant-api03-AbC_d-e', [], 'x-api-key: [redacted]'],
  ])('replaces %s', (_name, text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });

  it.each([
    ['no secrets', `plain text`, []],
    ['an empty value', 'all text stays', ['']],
    ['values shorter than the minimum', 'abc 12 x', ['abc', '12', 'x']],
    // guards: a --header tag like "full" scrubbed out of every message (the chaos-disk e2e run lost its error text)
    ['short header values such as a tag', 'database or disk is full', ['full']],
    ['JSON words, which would break a JSON log line', '{"retryable":true,"x":null,"y":false}', ['true', 'null', 'false']],
    ['words that merely contain "sk-"', 'task-runner desk-lamp risk-free', []],
    ['"sk-" with too little after it', 'sk-ab', []],
  ])('leaves text alone for %s', (_name, text, secrets) => {
    expect(redactSecrets(text, secrets)).toBe(text);
  });

  it('scrubs values of exactly the minimum length', () => {
    const secret = 'x'.repeat(MIN_SECRET_LENGTH);
    expect(redactSecrets(`a ${secret} b`, [secret])).toBe(`a ${REDACTED} b`);
  });

  it('builds a reusable redactor', () => {
    const redact = secretRedactor([KEY]);
    expect(redact(`one ${KEY}`)).toBe('one [redacted]');
    expect(redact('clean')).toBe('clean');
    expect(redact(`again ${KEY}`)).toBe('again [redacted]'); // the global key pattern keeps no state between calls
  });
});
