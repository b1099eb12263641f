import { describe, expect, it } from 'vitest';
import { encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import { float32Text, vectorJson } from '../../../src/output/formats/vector-text.js';

describe('float32Text', () => {
  it.each([
    [0.1, '0.1'],
    // the shortest that round-trips, correctly rounded: float32(-0.0069292834) is nearer ...835
    [-0.0069292834, '-0.0069292835'],
    [0.5, '0.5'],
    [1, '1'],
    [0, '0'],
    [-0, '0'],
    [-2.5, '-2.5'],
    [1e-30, '1e-30'],
    [3.4e38, '3.4e+38'],
    [0.123456789, '0.12345679'],
  ])('writes float32(%d) as %s', (value, expected) => {
    expect(float32Text(Math.fround(value))).toBe(expected);
  });

  it('writes NaN and infinities as null, as JSON.stringify does', () => {
    expect([NaN, Infinity, -Infinity].map(float32Text)).toEqual(['null', 'null', 'null']);
  });

  it('reads back as the same float32 for 20k pseudo-random values, in at most 9 significant digits', () => {
    let seed = 12345;
    const bits = new Uint32Array(1);
    const view = new Float32Array(bits.buffer);
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bits[0] = seed;
      const value = view[0] ?? 0;
      if (!Number.isFinite(value)) continue;
      const text = float32Text(value);
      expect(Math.fround(Number(text))).toBe(value);
      const significantDigits = Number(text).toExponential().split('e')[0]?.replace(/[-.]/g, '') ?? '';
      expect(significantDigits.length).toBeLessThanOrEqual(9);
    }
  });
});

describe('vectorJson', () => {
  it('decodes little-endian float32 bytes into a JSON array', () => {
    const text = vectorJson(encodeVector([0.1, -1.25, 3]));
    expect(text).toBe('[0.1,-1.25,3]');
    expect(JSON.parse(text)).toEqual([0.1, -1.25, 3]);
  });

  it('writes an empty vector as []', () => {
    expect(vectorJson(Buffer.alloc(0))).toBe('[]');
  });
});
