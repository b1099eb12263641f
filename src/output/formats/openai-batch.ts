// OpenAI Batch API output lines, so tools written for OpenAI's batch results read memsafe's unchanged.
import { createHash } from 'node:crypto';
import type { DoneRecord } from '../../checkpoint/queries.js';
import { parseStoredBody } from '../../checkpoint/queries.js';
import type { ExportFormat, ExportSource, RowFormat } from '../export.js';
import { jsonlErrorRows } from './jsonl.js';

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

export const openaiBatchFormat: ExportFormat = { records: openaiBatchRecordRows, errors: jsonlErrorRows };
