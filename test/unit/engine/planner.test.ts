import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../../src/checkpoint/store.js';
import { cacheCandidates, planBatch, type PlanContext } from '../../../src/engine/planner.js';
import type { Job, ParsedLine } from '../../../src/input/record.js';

const job = (id: string, line: number, hash = `h-${id}`): ParsedLine => ({
  kind: 'job',
  job: { id, line, endpoint: '/v1/chat/completions', body: {}, hash, trimmed: false, estimatedTokens: 1, bytes: 10 } satisfies Job,
});
const bad = (id: string, line: number): ParsedLine => ({ kind: 'bad', bad: { id, line, code: 'invalid_record', message: 'x' } });
const stored = (id: string, over: Partial<StoredRecord> = {}): [string, StoredRecord] => [
  id,
  { id, line: 1, hash: `h-${id}`, status: 'done', retryable: false, seenRun: 1, responseAt: 1_000, ...over },
];
const context = (over: Partial<PlanContext> = {}): PlanContext => ({
  run: 2, now: 10_000, retryFailed: false, refreshOlderThanMs: undefined, pendingIds: new Map(), ...over,
});
const kinds = (plans: ReturnType<typeof planBatch>) => plans.map((plan) => plan.kind);

describe('planBatch', () => {
  it('sends new records and skips ones already done with the same request', () => {
    const plans = planBatch([job('a', 1), job('b', 2)], new Map([stored('a')]), new Map(), context());
    expect(kinds(plans)).toEqual(['skip', 'send']);
  });

  it('sends a record again when its request changed (edited prompt)', () => {
    const plans = planBatch([job('a', 1, 'new-hash')], new Map([stored('a')]), new Map(), context());
    expect(kinds(plans)).toEqual(['send']);
  });

  it('keeps records failed for good unless --retry-failed; retries exhausted ones', () => {
    const records = new Map([stored('a', { status: 'failed' }), stored('b', { status: 'failed', retryable: true })]);
    expect(kinds(planBatch([job('a', 1), job('b', 2)], records, new Map(), context()))).toEqual(['skip', 'send']);
    expect(kinds(planBatch([job('a', 1)], records, new Map(), context({ retryFailed: true })))).toEqual(['send']);
  });

  it('answers identical requests from the response cache', () => {
    const plans = planBatch([job('x', 1, 'shared')], new Map(), new Map([['shared', 5_000]]), context());
    expect(kinds(plans)).toEqual(['cached']);
  });

  it('skips a done record with the same request without its fetch time (no --refresh-older-than: the lookup skips the join)', () => {
    const records = new Map([stored('a', { responseAt: null }), stored('b', { responseAt: null, hash: 'old' })]);
    expect(kinds(planBatch([job('a', 1), job('b', 2)], records, new Map(), context()))).toEqual(['skip', 'send']);
  });

  it('with --refresh-older-than, reuses a done record only when its fetch time is known and recent enough', () => {
    const now = 10_000;
    const at = (responseAt: number | null) => new Map([stored('a', { responseAt })]);
    const refresh = context({ now, refreshOlderThanMs: 5_000 });
    expect(kinds(planBatch([job('a', 1)], at(5_000), new Map(), refresh))).toEqual(['skip']); // exactly at the limit
    expect(kinds(planBatch([job('a', 1)], at(4_999), new Map(), refresh))).toEqual(['send']);
    expect(kinds(planBatch([job('a', 1)], at(null), new Map(), refresh))).toEqual(['send']);
    // A stale record may still be answered by a fresh cached response under its hash.
    expect(kinds(planBatch([job('a', 1)], at(1_000), new Map([['h-a', 9_000]]), refresh))).toEqual(['cached']);
  });

  it('asks the response cache only for jobs that their stored record does not settle', () => {
    const records = new Map([
      stored('done', { responseAt: 9_000 }),
      stored('edited', { hash: 'old' }),
      stored('gone', { status: 'failed' }),
      stored('retry', { status: 'failed', retryable: true }),
      stored('stale', { responseAt: 1_000 }),
    ]);
    const items = [job('done', 1), job('edited', 2), job('gone', 3), job('retry', 4), job('stale', 5), job('new', 6), bad('bad', 7)];
    expect(cacheCandidates(items, records, context())).toEqual(['h-edited', 'h-retry', 'h-new']);
    // Only --refresh-older-than can make a done record's answer too old, and then its hash is looked up.
    expect(cacheCandidates(items, records, context({ refreshOlderThanMs: 5_000 }))).toEqual(['h-edited', 'h-retry', 'h-stale', 'h-new']);
    expect(cacheCandidates(items, records, context({ retryFailed: true }))).toEqual(['h-edited', 'h-gone', 'h-retry', 'h-new']);
  });

  it('plans the same with the cache answered for the candidates only as for every hash', () => {
    const records = new Map([stored('a'), stored('b', { hash: 'old' }), stored('c', { status: 'failed' }), stored('d', { responseAt: 1_000 })]);
    const items = [job('a', 1), job('b', 2), job('c', 3), job('d', 4), job('e', 5, 'h-a'), job('a', 6)];
    const everything = new Map(['h-a', 'h-b', 'h-c', 'h-d'].map((hash) => [hash, 8_000] as const));
    for (const over of [{}, { refreshOlderThanMs: 5_000 }, { refreshOlderThanMs: 60_000 }, { retryFailed: true }]) {
      const candidates = new Set(cacheCandidates(items, records, context(over)));
      const narrowed = new Map([...everything].filter(([hash]) => candidates.has(hash)));
      expect(planBatch(items, records, narrowed, context(over))).toEqual(planBatch(items, records, everything, context(over)));
    }
  });

  it('re-requests responses older than --refresh-older-than', () => {
    const records = new Map([stored('a', { responseAt: 1_000 })]);
    const cache = new Map([['h-a', 1_000]]);
    const fresh = context({ refreshOlderThanMs: 60_000 });
    expect(kinds(planBatch([job('a', 1)], records, cache, fresh))).toEqual(['skip']);
    const stale = context({ refreshOlderThanMs: 5_000 });
    expect(kinds(planBatch([job('a', 1)], records, cache, stale))).toEqual(['send']);
  });

  it('flags a later line with the same id as a duplicate, within a batch and across committed batches', () => {
    const pendingIds = new Map<string, number>();
    const plans = planBatch([job('a', 1), job('a', 5), bad('a', 7)], new Map(), new Map(), context({ pendingIds }));
    expect(plans).toMatchObject([{ kind: 'send' }, { kind: 'duplicate', line: 5, firstLine: 1 }, { kind: 'duplicate', line: 7, firstLine: 1 }]);
    const committed = new Map([stored('b', { seenRun: 2, line: 3 })]);
    expect(planBatch([job('b', 9)], committed, new Map(), context())).toMatchObject([{ kind: 'duplicate', firstLine: 3 }]);
  });

  it('does not call a record from an earlier run a duplicate when its line moved', () => {
    const records = new Map([stored('a', { seenRun: 1, line: 3 })]);
    expect(kinds(planBatch([job('a', 8)], records, new Map(), context()))).toEqual(['skip']);
  });

  it('turns bad lines into failures that keep their id', () => {
    expect(planBatch([bad('z', 4)], new Map(), new Map(), context())).toMatchObject([{ kind: 'bad', bad: { id: 'z', line: 4 } }]);
  });
});
