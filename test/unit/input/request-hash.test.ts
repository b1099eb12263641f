import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from '../../../src/input/request-hash.js';

describe('canonicalJson', () => {
  it.each([
    { value: { b: 1, a: 2 }, json: '{"a":2,"b":1}' },
    { value: { z: { y: [3, { d: 1, c: 2 }], x: null } }, json: '{"z":{"x":null,"y":[3,{"c":2,"d":1}]}}' },
    { value: [1, 'two', true, null], json: '[1,"two",true,null]' },
    { value: { skipped: undefined, kept: 1 }, json: '{"kept":1}' },
    { value: [undefined], json: '[null]' },
    { value: 'é "quoted"\n', json: '"é \\"quoted\\"\\n"' },
    { value: { 'B': 1, 'a': 2, '€': 3 }, json: '{"B":1,"a":2,"€":3}' },
    { value: {}, json: '{}' },
    { value: undefined, json: 'null' },
  ])('$json', ({ value, json }) => {
    expect(canonicalJson(value)).toBe(json);
  });

  it('parses back to the same value', () => {
    const value = { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 0.2, n: 1 };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});

describe('requestHash', () => {
  const body = { model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 };

  it('is the sha256 of the canonical {endpoint, body}', () => {
    const expected = createHash('sha256')
      .update('{"body":{"messages":[{"content":"Hi","role":"user"}],"model":"m","temperature":0},"endpoint":"/v1/chat/completions"}')
      .digest('hex');
    expect(requestHash('/v1/chat/completions', body)).toBe(expected);
  });

  it('does not depend on key order at any depth', () => {
    const reordered = { temperature: 0, messages: [{ content: 'Hi', role: 'user' }], model: 'm' };
    expect(requestHash('/v1/chat/completions', reordered)).toBe(requestHash('/v1/chat/completions', body));
  });

  it('changes with the endpoint, a value, or the order of an array', () => {
    const base = requestHash('/v1/chat/completions', body);
    expect(requestHash('/v1/embeddings', body)).not.toBe(base);
    expect(requestHash('/v1/chat/completions', { ...body, temperature: 1 })).not.toBe(base);
    const twoMessages = { ...body, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] };
    const swapped = { ...body, messages: [{ role: 'user', content: 'b' }, { role: 'user', content: 'a' }] };
    expect(requestHash('/v1/chat/completions', twoMessages)).not.toBe(requestHash('/v1/chat/completions', swapped));
  });
});
