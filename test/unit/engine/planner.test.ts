import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../../src/checkpoint/store.js';
import { planBatch, type PlanContext } from '../../../src/engine/planner.js';
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
