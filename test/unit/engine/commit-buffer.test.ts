import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Outcome } from '../../../src/checkpoint/store.js';
import { COMMIT_WINDOW_MS, CommitBuffer } from '../../../src/engine/commit-buffer.js';

const seen = (n: number): Outcome => ({ kind: 'seen', id: `s${n}`, line: n });
const dup = (n: number): Outcome => ({ kind: 'duplicate', id: `d${n}`, line: n, firstLine: 1 });

describe('CommitBuffer', () => {
  afterEach(() => vi.useRealTimers());

  it('commits when a batch of results is full', () => {
    const commits: number[] = [];
    const buffer = new CommitBuffer((outcomes) => commits.push(outcomes.length), () => 3);
    for (let i = 0; i < 7; i++) buffer.add(dup(i));
    expect(commits).toEqual([3, 3]);
    expect(buffer.size).toBe(1);
  });

  it('commits a partial batch within the commit window of its first result', () => {
    vi.useFakeTimers();
    const commits: number[] = [];
    const buffer = new CommitBuffer((outcomes) => commits.push(outcomes.length), () => 32);
    buffer.add(dup(1));
    vi.advanceTimersByTime(COMMIT_WINDOW_MS - 1);
    buffer.add(dup(2));
    expect(commits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(commits).toEqual([2]);
  });

  it('does not count skipped records as results, but caps how many it holds', () => {
    const commits: number[] = [];
    const buffer = new CommitBuffer((outcomes) => commits.push(outcomes.length), () => 2);
    for (let i = 0; i < 1024; i++) buffer.add(seen(i));
    expect(commits).toEqual([1024]);
    buffer.flush();
    expect(commits).toEqual([1024]); // nothing left: no empty transaction
  });
});
