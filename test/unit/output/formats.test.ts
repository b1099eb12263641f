import { describe, expect, it } from 'vitest';
import { encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import type { DoneRecord } from '../../../src/checkpoint/done-records.js';
import type { FailedLine } from '../../../src/checkpoint/failed-lines.js';
import type { EmbeddingRecord } from '../../../src/output/embedding-records.js';
import { EXPORT_FORMATS, EXPORT_FORMAT_NAMES } from '../../../src/output/export.js';
import { chatAnswer, jsonlEmbeddingRows, jsonlErrorRows, jsonlRecordRows } from '../../../src/output/formats/jsonl.js';
import { batchRequestId, openaiBatchEmbeddingRows, openaiBatchRecordRows } from '../../../src/output/formats/openai-batch.js';
import { chatBody } from './checkpoint-fixture.js';

const body = chatBody('Paris', { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 });
const record: DoneRecord = {
  id: 'q-17',
  line: 17,
  endpoint: '/v1/chat/completions',
  cached: false,
  trimmed: true,
  attempts: 2,
  latencyMs: 30,
  statusCode: 200,
  requestId: 'req_abc',
  body,
  promptTokens: 9,
  completionTokens: 1,
  totalTokens: 10,
};
const source = { checkpoint: '/data/shard-1.memsafe.db' };

function parseLine(text: string): Record<string, unknown> {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.slice(0, -1)).not.toContain('\n');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('openai-batch', () => {
  it('writes an OpenAI Batch output line for a done record', () => {
    const line = parseLine(openaiBatchRecordRows.row(record, source));
    expect(Object.keys(line)).toEqual(['id', 'custom_id', 'response', 'error']);
    expect(line).toEqual({
      id: batchRequestId(source.checkpoint, 'q-17'),
      custom_id: 'q-17',
      response: { status_code: 200, request_id: 'req_abc', body: JSON.parse(body) as unknown },
      error: null,
    });
    expect(line['id']).toMatch(/^batch_req_[0-9a-f]{24}$/);
  });

  it('writes an empty request_id when the server sent none', () => {
    const line = parseLine(openaiBatchRecordRows.row({ ...record, requestId: null }, source));
    expect((line['response'] as Record<string, unknown>)['request_id']).toBe('');
  });

  it('keeps a pretty-printed stored body on one line', () => {
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const line = parseLine(openaiBatchRecordRows.row({ ...record, body: pretty }, source));
    expect((line['response'] as Record<string, unknown>)['body']).toEqual(JSON.parse(body));
  });

  it('derives stable ids that differ by checkpoint and by record', () => {
    expect(batchRequestId('/a.db', 'x')).toBe(batchRequestId('/a.db', 'x'));
    expect(batchRequestId('/a.db', 'x')).not.toBe(batchRequestId('/b.db', 'x'));
    expect(batchRequestId('/a.db', 'x')).not.toBe(batchRequestId('/a.db', 'y'));
    // the separator keeps ("/a.db1", "x") apart from ("/a.db", "1x")
    expect(batchRequestId('/a.db1', 'x')).not.toBe(batchRequestId('/a.db', '1x'));
  });

  it('refuses a stored body that is not JSON, naming the record', () => {
    expect(() => openaiBatchRecordRows.row({ ...record, body: '{"cut' }, source)).toThrow(/"q-17" \(line 17\) is not JSON/);
  });
});

describe('jsonl', () => {
  it('writes the answer text, finish reason, usage and flags', () => {
    const line = parseLine(jsonlRecordRows.row(record, source));
    expect(Object.keys(line)).toEqual(['id', 'line', 'content', 'finish_reason', 'usage', 'cached', 'trimmed']);
    expect(line).toEqual({
      id: 'q-17',
      line: 17,
      content: 'Paris',
      finish_reason: 'stop',
      usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
      cached: false,
      trimmed: true,
    });
  });

  it('falls back to the body usage when the token columns are empty', () => {
    const answer = chatAnswer({ ...record, promptTokens: null, completionTokens: null, totalTokens: null });
    expect(answer).toEqual({ content: 'Paris', finishReason: 'stop', promptTokens: 9, completionTokens: 1, totalTokens: 10 });
  });

  it('gives nulls for an answer that is not a chat completion', () => {
    const answer = chatAnswer({ ...record, body: '{"object":"list","data":[]}', promptTokens: null, completionTokens: null, totalTokens: null });
    expect(answer).toEqual({ content: null, finishReason: null, promptTokens: null, completionTokens: null, totalTokens: null });
  });
});

/** An embeddings record whose vectors come from memory; `read` counts how many a format pulled. */
function embeddingRecord(input: 'string' | 'array', vectors: number[][]): EmbeddingRecord & { read: number } {
  const record = {
    id: 'e-1',
    line: 4,
    cached: true,
    statusCode: 200,
    requestId: 'req_emb',
    model: 'text-embedding-3-small',
    input,
    dim: vectors[0]?.length ?? 0,
    vectorCount: vectors.length,
    usage: { prompt_tokens: 6, total_tokens: 6 },
    read: 0,
    *vectors() {
      for (const values of vectors) {
        record.read++;
        yield encodeVector(values);
      }
    },
  };
  return record;
}

function joined(pieces: Iterable<string>): string {
  return [...pieces].join('');
}

describe('embeddings rows', () => {
  it('jsonl writes one text as "embedding", short fields first', () => {
    const line = parseLine(joined(jsonlEmbeddingRows.row(embeddingRecord('string', [[0.1, -0.5, 2]]), source)));
    expect(Object.keys(line)).toEqual(['id', 'line', 'model', 'usage', 'cached', 'embedding']);
    expect(line).toEqual({
      id: 'e-1',
      line: 4,
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 6, total_tokens: 6 },
      cached: true,
      embedding: [0.1, -0.5, 2],
    });
  });

  it('jsonl writes an array input as "embeddings", in input order', () => {
    const line = parseLine(joined(jsonlEmbeddingRows.row(embeddingRecord('array', [[1, 2], [3, 4], [5, 6]]), source)));
    expect(line['embedding']).toBeUndefined();
    expect(line['embeddings']).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('jsonl writes an array input of one text as a list of one', () => {
    const line = parseLine(joined(jsonlEmbeddingRows.row(embeddingRecord('array', [[0.25]]), source)));
    expect(line['embeddings']).toEqual([[0.25]]);
  });

  it('openai-batch writes the OpenAI embeddings list in the Batch envelope', () => {
    const record = embeddingRecord('array', [[0.5, 1], [-1, 0.1]]);
    const text = joined(openaiBatchEmbeddingRows.row(record, source));
    const line = parseLine(text);
    expect(line).toEqual({
      id: batchRequestId(source.checkpoint, 'e-1'),
      custom_id: 'e-1',
      response: {
        status_code: 200,
        request_id: 'req_emb',
        body: {
          object: 'list',
          data: [
            { object: 'embedding', index: 0, embedding: [0.5, 1] },
            { object: 'embedding', index: 1, embedding: [-1, 0.1] },
          ],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 6, total_tokens: 6 },
        },
      },
      error: null,
    });
    // the same key order as a chat line and as OpenAI's own body
    expect(Object.keys(line)).toEqual(['id', 'custom_id', 'response', 'error']);
    expect(Object.keys((line['response'] as { body: object }).body)).toEqual(['object', 'data', 'model', 'usage']);
  });

  it('openai-batch writes an empty request_id when the server sent none', () => {
    const line = parseLine(joined(openaiBatchEmbeddingRows.row({ ...embeddingRecord('string', [[1]]), requestId: null }, source)));
    expect((line['response'] as Record<string, unknown>)['request_id']).toBe('');
  });

  it('pulls one vector at a time as the pieces are consumed', () => {
    const record = embeddingRecord('array', [[1], [2], [3]]);
    const pieces = openaiBatchEmbeddingRows.row(record, source)[Symbol.iterator]();
    pieces.next();
    expect(record.read).toBe(0);
    pieces.next();
    expect(record.read).toBe(1);
    pieces.next();
    expect(record.read).toBe(2);
  });
});

describe('error rows', () => {
  const failure: FailedLine = { id: 'bad', line: 4, code: 'http_400', message: 'context too long', httpStatus: 400, retryable: false, attempts: 1 };

  it('jsonl and openai-batch write the same error object', () => {
    expect(EXPORT_FORMATS['openai-batch'].errors).toBe(EXPORT_FORMATS.jsonl.errors);
    const line = parseLine(jsonlErrorRows.row(failure, source));
    expect(line).toEqual({ id: 'bad', line: 4, code: 'http_400', message: 'context too long', http_status: 400, retryable: false, attempts: 1 });
    expect(Object.keys(line)).toEqual(['id', 'line', 'code', 'message', 'http_status', 'retryable', 'attempts']);
  });
});

describe('format registry', () => {
  it('names every format the CLI accepts, openai-batch first', () => {
    expect(EXPORT_FORMAT_NAMES).toEqual(['openai-batch', 'jsonl', 'csv', 'npy']);
  });
});
