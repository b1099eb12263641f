import { describe, expect, it } from 'vitest';
import { HeapTrim } from '../../../src/engine/heap-trim.js';

const MB = 1024 * 1024;

describe('HeapTrim', () => {
  it('never collects a heap below the floor', () => {
    const trim = new HeapTrim({ floorBytes: 32 * MB });
    expect(trim.due(31 * MB)).toBe(false);
    expect(trim.due(33 * MB)).toBe(true);
  });

  it('collects once the heap has doubled over what was live after the last collection', () => {
    const trim = new HeapTrim({ floorBytes: 8 * MB, growth: 2 });
    trim.collected(20 * MB);
    expect(trim.due(39 * MB)).toBe(false);
    expect(trim.due(41 * MB)).toBe(true);
    trim.collected(10 * MB);
    expect(trim.due(21 * MB)).toBe(true);
  });

  it('adapts to a large live heap instead of collecting in a loop', () => {
    const trim = new HeapTrim({ floorBytes: 32 * MB });
    trim.collected(200 * MB);
    expect(trim.due(250 * MB)).toBe(false);
  });
});
