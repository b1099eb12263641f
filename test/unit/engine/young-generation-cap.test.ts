import { describe, expect, it } from 'vitest';
import { YoungGenerationCap } from '../../../src/engine/young-generation-cap.js';

const MB = 1024 * 1024;

/** What a 16 MB cap asks of V8 (false: hold, true: grow) as the young generation takes these sizes, in MB. */
function callsFor(sizesMb: readonly number[]): boolean[] {
  const calls: boolean[] = [];
  const cap = new YoungGenerationCap(16 * MB, (grow) => calls.push(grow));
  for (const size of sizesMb) cap.observe(size * MB);
  return calls;
}

describe('YoungGenerationCap', () => {
  it('leaves V8 alone below the cap', () => {
    expect(callsFor([1, 8])).toEqual([]);
  });

  it('holds growth once the young generation reaches the cap, and says so once', () => {
    expect(callsFor([8, 16, 16, 32])).toEqual([false]);
  });

  it('lets it grow again after V8 has shrunk it below the cap, and holds it again at the cap', () => {
    expect(callsFor([16, 4, 8, 16])).toEqual([false, true, false]);
  });
});
