// The learned state in a real checkpoint file: what a killed worker wrote is what the fresh one reads.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SizeEstimator } from '../../../src/admission/size-estimator.js';
import { LEARNED_KEY, readLearnedState, writeLearnedState } from '../../../src/checkpoint/learned-state.js';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { tempDir } from '../../helpers/checkpoint.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('learned');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('learned state', () => {
  it('is absent in a new checkpoint', () => {
    const db = openCheckpoint(path.join(dir, 'a.db'), { create: true });
    expect(readLearnedState(db)).toBeUndefined();
    db.close();
  });

  it('survives closing the database: concurrency, pack size, peak and the size estimator', () => {
    const file = path.join(dir, 'a.db');
    const estimator = new SizeEstimator({ defaultBodyBytes: 1000 });
    for (let i = 0; i < 10; i++) estimator.observe('/v1/chat/completions', 'm', 6_000_000);
    const db = openCheckpoint(file, { create: true });
    writeLearnedState(db, { concurrency: 12, packSize: 96, inflightPeakBytes: 140_000_000, sizes: estimator.snapshot() }, 1234);
    writeLearnedState(db, { concurrency: 10, packSize: 96, inflightPeakBytes: 141_000_000, sizes: estimator.snapshot() }, 5678);
    db.close();

    const again = openCheckpoint(file, { create: false });
    const learned = readLearnedState(again);
    again.close();
    expect(learned).toMatchObject({ version: 1, concurrency: 10, packSize: 96, inflightPeakBytes: 141_000_000, updatedAt: 5678 });
    const fresh = new SizeEstimator({ defaultBodyBytes: 1000 });
    fresh.restore(learned?.sizes);
    expect(fresh.bodyBytes('/v1/chat/completions', 'm')).toBe(estimator.bodyBytes('/v1/chat/completions', 'm'));
  });

  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ version: 2, concurrency: 4 })],
    ['not an object', '7'],
  ])('a stored value that is %s reads as none', (_name, value) => {
    const db = openCheckpoint(path.join(dir, 'a.db'), { create: true });
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(LEARNED_KEY, value);
    expect(readLearnedState(db)).toBeUndefined();
    db.close();
  });

  it('drops fields that make no sense rather than starting from them', () => {
    const db = openCheckpoint(path.join(dir, 'a.db'), { create: true });
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(LEARNED_KEY, JSON.stringify({ version: 1, concurrency: 0, packSize: 2.5, inflightPeakBytes: -1, updatedAt: 9 }));
    expect(readLearnedState(db)).toEqual({ version: 1, updatedAt: 9 });
    db.close();
  });
});
