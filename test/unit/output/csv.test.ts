import { describe, expect, it } from 'vitest';
import { encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import type { DoneRecord } from '../../../src/checkpoint/done-records.js';
import { csvEmbeddingRows, csvErrorRows, csvField, csvLine, csvRecordRows } from '../../../src/output/formats/csv.js';
import { chatBody } from './checkpoint-fixture.js';

describe('csvField (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['two\nlines', '"two\nlines"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ['crlf\r\n', '"crlf\r\n"'],
    [' spaced ', ' spaced '],
    ['ünïcödé 🙂', 'ünïcödé 🙂'],
  ])('%j -> %j', (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });

  it('writes null as an empty field and numbers and booleans as text', () => {
    expect(csvLine([null, 42, true, false, 'x'])).toBe(',42,true,false,x\r\n');
  });
});

const record: DoneRecord = {
  id: 'id,with "quotes"',
  line: 3,
  endpoint: '/v1/chat/completions',
  cached: true,
  trimmed: false,
  attempts: 1,
  latencyMs: 12,
  statusCode: 200,
  requestId: 'req-1',
  body: chatBody('line one\nline two, "quoted"'),
  promptTokens: 5,
  completionTokens: 7,
  totalTokens: 12,
};
const source = { checkpoint: '/tmp/c.db' };

describe('csv rows', () => {
  it('writes the header and a done record with multi-line content quoted', () => {
    expect(csvRecordRows.header?.()).toBe('id,line,status,content,prompt_tokens,completion_tokens,cached,trimmed,model,cost_usd\r\n');
    expect(csvRecordRows.row(record, source)).toBe(
      '"id,with ""quotes""",3,done,"line one\nline two, ""quoted""",5,7,true,false,,\r\n',
    );
  });

  it('ends a row with the model and what the record cost, empty when unpriced or untracked', () => {
    expect(csvRecordRows.row({ ...record, id: 'p', model: 'gpt-4o', costUsd: 0.00125 }, source)).toMatch(/,true,false,gpt-4o,0\.00125\r\n$/);
    expect(csvRecordRows.row({ ...record, id: 'u', model: 'llama3', costUsd: null }, source)).toMatch(/,true,false,llama3,\r\n$/);
  });

  it('leaves content and tokens empty when the answer has none', () => {
    const embedding = { ...record, id: 'e', body: JSON.stringify({ data: [{ embedding: [0.1] }] }), promptTokens: null, completionTokens: null };
    expect(csvRecordRows.row(embedding, source)).toBe('e,3,done,,,,true,false,,\r\n');
  });

  it('writes failed lines with their own columns', () => {
    expect(csvErrorRows.header?.()).toBe('id,line,code,message,http_status,retryable,attempts\r\n');
    expect(
      csvErrorRows.row({ id: null, line: 9, code: 'duplicate_id', message: 'id "a" taken, line 2', httpStatus: null, retryable: false, attempts: 0 }, source),
    ).toBe(',9,duplicate_id,"id ""a"" taken, line 2",,false,0\r\n');
    expect(
      csvErrorRows.row({ id: 'x', line: 1, code: 'http_429', message: 'slow down', httpStatus: 429, retryable: true, attempts: 6 }, source),
    ).toBe('x,1,http_429,slow down,429,true,6\r\n');
  });
});

describe('csv embeddings rows', () => {
  it('writes one row per text: id, line, index, dim and the vector as a quoted JSON array', () => {
    expect(csvEmbeddingRows.header?.()).toBe('id,line,index,dim,embedding\r\n');
    const vectors = [
      [0.1, -2],
      [3, 0.5],
    ];
    const rows = csvEmbeddingRows.row(
      {
        id: 'id,1',
        line: 7,
        cached: false,
        statusCode: 200,
        requestId: null,
        model: 'm',
        input: 'array',
        dim: 2,
        vectorCount: 2,
        usage: { prompt_tokens: 1, total_tokens: 1 },
        vectors: () => vectors.map((values) => encodeVector(values)),
      },
      source,
    );
    expect([...rows]).toEqual(['"id,1",7,0,2,"[0.1,-2]"\r\n', '"id,1",7,1,2,"[3,0.5]"\r\n']);
  });
});
