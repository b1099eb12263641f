// An OpenAI batch object, read defensively into the checkpoint's BatchSnapshot (times in ms, counts as numbers).
import type { BatchLineError, BatchSnapshot } from '../checkpoint/batch-batches.js';

type Json = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function ms(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : null;
}

function lineErrors(errors: unknown): BatchLineError[] {
  const data = typeof errors === 'object' && errors !== null ? (errors as Json)['data'] : undefined;
  if (!Array.isArray(data)) return [];
  return data.map((item: unknown) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Json;
    const line = entry['line'];
    return {
      code: text(entry['code']),
      message: text(entry['message']) ?? 'the batch failed validation',
      line: typeof line === 'number' && Number.isInteger(line) && line >= 1 ? line : null,
    };
  });
}

/** undefined when `value` is not a batch object (no id or status). */
export function batchSnapshot(value: unknown): BatchSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const body = value as Json;
  const id = text(body['id']);
  const status = text(body['status']);
  if (id === null || status === null) return undefined;
  const counts = (typeof body['request_counts'] === 'object' && body['request_counts'] !== null ? body['request_counts'] : {}) as Json;
  const metadata: Record<string, string> = {};
  if (typeof body['metadata'] === 'object' && body['metadata'] !== null) {
    for (const [key, item] of Object.entries(body['metadata'] as Json)) if (typeof item === 'string') metadata[key] = item;
  }
  return {
    id,
    status,
    endpoint: text(body['endpoint']) ?? '',
    inputFileId: text(body['input_file_id']) ?? '',
    outputFileId: text(body['output_file_id']),
    errorFileId: text(body['error_file_id']),
    total: count(counts['total']),
    completed: count(counts['completed']),
    failed: count(counts['failed']),
    createdAt: ms(body['created_at']),
    expiresAt: ms(body['expires_at']),
    metadata,
    errors: lineErrors(body['errors']),
  };
}
