import { describe, expect, it } from 'vitest';
import { PACK_MARGIN, packSizeFor } from '../../../src/admission/pack-size.js';
import { HOLD_FACTOR } from '../../../src/admission/size-estimator.js';

const MB = 1024 * 1024;

describe('packSizeFor', () => {
  it.each<[string, Parameters<typeof packSizeFor>, number]>([
    ['small vectors: the whole batch', [16, 'base64', 64 * MB, 512], 512],
    ['3072 base64 in 40 MB: comes down', [3072, 'base64', 40 * MB, 2048], 680],
    ['3072 float in 40 MB: down further', [3072, 'float', 40 * MB, 512], 151],
    ['3072 float in 10 MB', [3072, 'float', 10 * MB, 512], 37],
    ['never below one text', [3072, 'float', 1000, 512], 1],
    ['learned bytes per text win over the default', [3072, 'float', 40 * MB, 512, 3072 * 9.4], 387],
    ['no dimension known: the batch size', [0, 'float', 40 * MB, 64], 64],
    ['maxPack below 1 is 1', [16, 'base64', 40 * MB, 0], 1],
  ])('%s', (_name, args, expected) => {
    expect(packSizeFor(...args)).toBe(expected);
  });

  it('one answer of the chosen pack, held while parsed, fits the margin of the budget', () => {
    for (const dimension of [256, 768, 1536, 3072]) {
      for (const budget of [8 * MB, 40 * MB, 200 * MB]) {
        const pack = packSizeFor(dimension, 'float', budget, 2048);
        if (pack > 1) expect(pack * (dimension * 24 + 64) * HOLD_FACTOR).toBeLessThanOrEqual(budget * PACK_MARGIN);
      }
    }
  });
});
