import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, redactSecrets, secretRedactor } from '../../../src/ui/secrets.js';

const KEY = 'sk-test-0123456789abcdef';

describe('redactSecrets', () => {
  it.each([
    ['the key in a sentence', `401: invalid key ${KEY} given`, [KEY], '401: invalid key [redacted] given'],
    ['every occurrence', `${KEY}/${KEY}`, [KEY], '[redacted]/[redacted]'],
    ['a whole auth header value', `sent Bearer ${KEY}`, [`Bearer ${KEY}`], 'sent [redacted]'],
    ['the token alone, from a header value with a scheme', `token=${KEY}`, [`Bearer ${KEY}`], 'token=[redacted]'],
    ['a JSON-escaped value', JSON.stringify({ h: 'ab"cd\\ef' }), ['ab"cd\\ef'], '{"h":"[redacted]"}'],
    ['a URL-encoded value', 'GET /v1?key=a%2Fb%20c%3Dd', ['a/b c=d'], 'GET /v1?key=[redacted]'],
    ['the longer of two overlapping secrets whole', 'xx secret-long-value xx', ['secret', 'secret-long-value'], 'xx [redacted] xx'],
    ['nothing when there are no secrets', `key ${KEY}`, [], `key ${KEY}`],
    ['nothing for an empty value', 'all text stays', [''], 'all text stays'],
    ['nothing for values shorter than the minimum', 'true 12345', ['true', '12345'], 'true 12345'],
  ])('replaces %s', (_name, text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });

  it('scrubs values of exactly the minimum length', () => {
    const secret = 'x'.repeat(MIN_SECRET_LENGTH);
    expect(redactSecrets(`a ${secret} b`, [secret])).toBe('a [redacted] b');
  });

  it('builds a reusable redactor', () => {
    const redact = secretRedactor([KEY]);
    expect(redact(`one ${KEY}`)).toBe('one [redacted]');
    expect(redact('clean')).toBe('clean');
  });
});
