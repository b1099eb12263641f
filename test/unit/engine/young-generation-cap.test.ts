import { describe, expect, it } from 'vitest';
import { YoungGenerationCap } from '../../../src/engine/young-generation-cap.js';

const MB = 1024 * 1024;

function capWith(capBytes: number) {
  const calls: boolean[] = [];
  return { cap: new YoungGenerationCap(capBytes, (grow) => calls.push(grow)), calls };
}

describe('YoungGenerationCap', () => {
  it('leaves V8 alone below the cap', () => {
    const { cap, calls } = capWith(16 * MB);
    cap.observe(1 * MB);
    cap.observe(8 * MB);
    expect(calls).toEqual([]);
  });

  it('holds growth once the young generation reaches the cap, and says so once', () => {
    const { cap, calls } = capWith(16 * MB);
    cap.observe(8 * MB);
    cap.observe(16 * MB);
    cap.observe(16 * MB);
    cap.observe(32 * MB);
    expect(calls).toEqual([false]);
  });

  it('lets it grow again after V8 has shrunk it below the cap, and holds it again at the cap', () => {
    const { cap, calls } = capWith(16 * MB);
    cap.observe(16 * MB);
    cap.observe(4 * MB);
    cap.observe(8 * MB);
    cap.observe(16 * MB);
    expect(calls).toEqual([false, true, false]);
  });
});
