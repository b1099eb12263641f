// OpenAI Batch API output lines, so tools written for OpenAI's batch results read memsafe's unchanged.
import { createHash } from 'node:crypto';
import type { DoneRecord } from '../../checkpoint/done-records.js';
import { parseStoredBody } from '../../checkpoint/done-records.js';
import type { ExportSource } from '../checkpoint-reader.js';
import type { EmbeddingRecord } from '../embedding-records.js';
import type { EmbeddingRowFormat, ExportFormat, RowFormat } from './format.js';
import { jsonlErrorRows } from './jsonl.js';
import { vectorJson } from './vector-text.js';

/** Stable across exports of the same checkpoint file, distinct across shards that reuse an id. */
export function batchRequestId(checkpoint: string, recordId: string): string {
  const digest = createHash('sha256').update(checkpoint).update('\0').update(recordId).digest('hex');
  return `batch_req_${digest.slice(0, 24)}`;
}

export const openaiBatchRecordRows: RowFormat<DoneRecord> = {
  row(record: DoneRecord, source: ExportSource) {
    return `${JSON.stringify({
      id: batchRequestId(source.checkpoint, record.id),
      custom_id: record.id,
      response: {
        status_code: record.statusCode,
        request_id: record.requestId ?? '',
        body: parseStoredBody(record),
      },
      error: null,
    })}\n`;
  },
};

/** The response body is rebuilt as OpenAI's embeddings `list`: data[{object, index, embedding}], model, usage. */
export const openaiBatchEmbeddingRows: EmbeddingRowFormat = {
  *row(record: EmbeddingRecord, source: ExportSource) {
    const envelope = JSON.stringify({
      id: batchRequestId(source.checkpoint, record.id),
      custom_id: record.id,
      response: { status_code: record.statusCode, request_id: record.requestId ?? '' },
    });
    // The envelope without its two closing braces, so the body can be streamed into `response`.
    yield `${envelope.slice(0, -2)},"body":{"object":"list","data":[`;
    let index = 0;
    for (const vector of record.vectors()) {
      yield `${index === 0 ? '' : ','}{"object":"embedding","index":${index},"embedding":${vectorJson(vector)}}`;
      index++;
    }
    yield `],"model":${JSON.stringify(record.model)},"usage":${JSON.stringify(record.usage)}}},"error":null}\n`;
  },
};

export const openaiBatchFormat: ExportFormat = {
  records: openaiBatchRecordRows,
  embeddings: openaiBatchEmbeddingRows,
  errors: jsonlErrorRows,
};
