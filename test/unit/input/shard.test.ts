import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from '../../../src/input/shard.js';

describe('shards', () => {
  it.each([
    ['0/4', { index: 0, count: 4 }],
    [' 3 / 4 ', { index: 3, count: 4 }],
    ['4/4', undefined],
    ['1/0', undefined],
    ['-1/4', undefined],
    ['a/b', undefined],
  ])('parseShard(%j)', (text, expected) => expect(parseShard(text)).toEqual(expected));

  it('puts every id in exactly one shard, spread about evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const id = `record-${i}`;
      const owners = [0, 1, 2, 3].filter((index) => inShard(id, { index, count: 4 }));
      expect(owners).toHaveLength(1);
      counts[owners[0] ?? 0]!++;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('is stable: the shard of an id never changes between runs or machines', () => {
    // Pinned values: first 32 bits of sha256(id), big-endian, modulo N. Changing them would move records between shards.
    expect(shardOf('r1', 8)).toBe(6);
    expect([shardOf('abc', 1000), shardOf('memsafe', 1000)]).toEqual([319, 406]);
    expect(inShard('anything', undefined)).toBe(true);
  });
});
