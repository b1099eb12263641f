// Reading OpenAI batch objects: times in ms, counts, metadata, and errors.data[] line numbers.
import { describe, expect, it } from 'vitest';
import { formatBatchProgress } from '../../../src/batch/batch-progress.js';
import { batchSnapshot } from '../../../src/provider/batch-snapshot.js';

describe('batchSnapshot', () => {
  it('reads a batch object as OpenAI sends it', () => {
    const snapshot = batchSnapshot({
      id: 'batch_1', object: 'batch', endpoint: '/v1/chat/completions', status: 'failed', input_file_id: 'file-in', output_file_id: null,
      error_file_id: 'file-err', created_at: 1_700_000_000, expires_at: 1_700_086_400,
      request_counts: { total: 3, completed: 1, failed: 2 }, metadata: { memsafe_chunk: '4', other: 5 },
      errors: { object: 'list', data: [{ code: 'invalid_json', message: 'bad line', param: null, line: 2 }, { code: 'x', message: 'whole file' }] },
    });
    expect(snapshot).toEqual({
      id: 'batch_1', status: 'failed', endpoint: '/v1/chat/completions', inputFileId: 'file-in', outputFileId: null, errorFileId: 'file-err',
      total: 3, completed: 1, failed: 2, createdAt: 1_700_000_000_000, expiresAt: 1_700_086_400_000, metadata: { memsafe_chunk: '4' },
      errors: [{ code: 'invalid_json', message: 'bad line', line: 2 }, { code: 'x', message: 'whole file', line: null }],
    });
  });

  it.each([null, 'text', {}, { id: 'b' }, { status: 'completed' }])('refuses %j', (value) => {
    expect(batchSnapshot(value)).toBeUndefined();
  });
});

describe('formatBatchProgress', () => {
  it('names batches and records', () => {
    expect(formatBatchProgress({ batchesLive: 2, batchesTotal: 5, recordsInFlight: 100, done: 400, failed: 3 })).toBe(
      'batches 2 live / 5 · records 100 in flight, 400 done, 3 failed',
    );
  });
});
