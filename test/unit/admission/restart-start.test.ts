import { describe, expect, it } from 'vitest';
import { type PreviousEnd, startingConcurrency, startingPackSize } from '../../../src/admission/restart-start.js';

describe('startingConcurrency', () => {
  it.each<[string, number, number | undefined, PreviousEnd, number]>([
    ['a first run starts at the ceiling', 64, undefined, undefined, 64],
    ['a resume starts where the last run was', 64, 12, undefined, 12],
    // guards: a fresh worker after an OOM kill must not ramp straight back to --concurrency
    ['after an OOM kill: half of what was learned', 64, 12, 'oom', 6],
    ['after an OOM kill before anything was learned: half the ceiling', 64, undefined, 'oom', 32],
    ['after a breaker halt: a quarter less', 64, 12, 'breaker', 9],
    ['never above a lowered ceiling', 8, 12, undefined, 8],
    ['never below one', 64, 1, 'oom', 1],
  ])('%s', (_name, ceiling, learned, previous, expected) => {
    expect(startingConcurrency(ceiling, learned, previous)).toBe(expected);
  });

  it('packs come down the same way', () => {
    expect(startingPackSize(512, 96, 'oom')).toBe(48);
    expect(startingPackSize(512, undefined, undefined)).toBe(512);
    expect(startingPackSize(64, 96, 'breaker')).toBe(48);
  });
});
