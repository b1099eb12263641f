// An embeddings answer's vectors as stored blobs: base64 and number arrays give the same float32 LE bytes,
// and a vector that cannot be stored says why.
import { describe, expect, it } from 'vitest';
import { decodeVector, encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import { vectorKey } from '../../../src/engine/embeddings/vector-key.js';
import { embeddingsByIndex, vectorBlob } from '../../../src/provider/embeddings-answer.js';
import { base64Vector, mockEmbedding } from '../../../src/provider/mock-answers.js';

describe('vectorBlob', () => {
  it('decodes base64 to the same blob as the number array it encodes', () => {
    const values = mockEmbedding('alpha', 256);
    const fromBase64 = vectorBlob(base64Vector(values));
    expect(Buffer.isBuffer(fromBase64)).toBe(true);
    expect(fromBase64).toEqual(encodeVector(values));
    expect(vectorBlob(values)).toEqual(encodeVector(values));
    expect(decodeVector(fromBase64 as Buffer)).toEqual([...Float32Array.from(values)]);
  });

  it('passes the largest finite values and denormals, which share bits with NaN and Infinity', () => {
    const edges = Buffer.alloc(16);
    [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0].forEach((value, i) => edges.writeFloatLE(value, i * 4));
    expect(vectorBlob(edges.toString('base64'))).toEqual(edges);
  });

  it('reads base64 bytes as little-endian float32 whatever the host order', () => {
    // 1.0 and -2.5 as float32 LE.
    const blob = vectorBlob(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]).toString('base64'));
    expect(decodeVector(blob as Buffer)).toEqual([1, -2.5]);
  });

  it.each([
    ['a length that is not a whole number of float32 values', Buffer.alloc(6).toString('base64'), /6 bytes of base64, not a whole number of float32 values/],
    ['empty base64', '', /0 bytes of base64/],
    ['a NaN', Buffer.from([0, 0, 0xc0, 0x7f]).toString('base64'), /NaN or infinite value at position 0/],
    ['-Infinity', Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff]).toString('base64'), /NaN or infinite value at position 1/],
    ['an empty array', [], /neither a base64 string nor a non-empty array of numbers/],
    ['an array with a non-number', [0.1, null], /neither a base64 string/],
    ['an object', { values: [1] }, /neither a base64 string/],
  ])('refuses %s with a reason', (_name, embedding, reason) => {
    const blob = vectorBlob(embedding);
    expect(Buffer.isBuffer(blob)).toBe(false);
    expect((blob as { problem: string }).problem).toMatch(reason);
  });
});

describe('embeddingsByIndex', () => {
  it('keys vectors by `index` (not position), mixing base64 and number arrays', () => {
    const a = mockEmbedding('a');
    const b = mockEmbedding('b');
    const vectors = embeddingsByIndex({ data: [{ index: 1, embedding: base64Vector(b) }, { index: 0, embedding: a }] });
    expect(vectors?.get(0)).toEqual(encodeVector(a));
    expect(vectors?.get(1)).toEqual(encodeVector(b));
  });

  it('marks an unreadable vector and leaves a missing one out', () => {
    const vectors = embeddingsByIndex({ data: [{ index: 0, embedding: 'AAAAAAA=' }] });
    expect(vectors?.get(0)).toEqual({ problem: expect.stringMatching(/5 bytes of base64/) });
    expect(vectors?.has(1)).toBe(false);
  });

  it.each([[undefined], [null], [{}], [{ data: 'x' }]])('is undefined for a body without a data list: %j', (body) => {
    expect(embeddingsByIndex(body)).toBeUndefined();
  });
});

describe('vectorKey', () => {
  it('keeps the keys earlier versions wrote for plain records (a resume must find their vectors)', () => {
    // Literals from the schema-2 build: model, dimensions, normalize and text; input, user and encoding do not count.
    expect(vectorKey({ model: 'm', input: 't', user: 'u', encoding_format: 'base64' }, 'hello', false)).toBe(
      'd912b89ecf1fa09f30562a7f4383753c6c3d9d6122279d05c669cc222a961a20',
    );
    expect(vectorKey({ model: 'm', dimensions: 256 }, 'hello', true)).toBe('c31682406a43e8493d102a9286d459678e4df43c715e99e3ecf617faa73dfa10');
  });

  it('tells apart the same text under other vector options (input_type of query/document models)', () => {
    const plain = vectorKey({ model: 'm' }, 'hello', false);
    const query = vectorKey({ model: 'm', input_type: 'query' }, 'hello', false);
    expect(query).not.toBe(plain);
    expect(vectorKey({ model: 'm', input_type: 'document' }, 'hello', false)).not.toBe(query);
  });
});
