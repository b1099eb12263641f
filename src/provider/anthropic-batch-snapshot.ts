// An Anthropic Message Batch object, read defensively into the checkpoint's BatchSnapshot: processing_status
// in_progress | canceling | ended becomes OpenAI's vocabulary (the collect code and `memsafe status` read one).
import type { BatchSnapshot } from '../checkpoint/batch-batches.js';

type Json = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** RFC 3339 -> ms since epoch. */
function ms(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const parsed = Date.parse(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** Every request the batch holds, whatever became of it. */
export function requestTotal(counts: Json): number {
  return count(counts['processing']) + count(counts['succeeded']) + count(counts['errored']) + count(counts['canceled']) + count(counts['expired']);
}

/** An ended batch is cancelled if a cancel was asked for, expired if requests expired, else completed. */
function statusOf(processing: string, body: Json, counts: Json): string {
  if (processing === 'in_progress') return 'in_progress';
  if (processing === 'canceling') return 'cancelling';
  if (processing !== 'ended') return processing;
  if (text(body['cancel_initiated_at']) !== null) return 'cancelled';
  return count(counts['expired']) > 0 ? 'expired' : 'completed';
}

/**
 * undefined when `value` is not a batch object (no id or processing_status). `endpoint` is the chunk's (the
 * records' own endpoint); the results URL stands in for the output file.
 */
export function anthropicBatchSnapshot(value: unknown, endpoint = '/v1/chat/completions'): BatchSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const body = value as Json;
  const id = text(body['id']);
  const processing = text(body['processing_status']);
  if (id === null || processing === null) return undefined;
  const counts = (typeof body['request_counts'] === 'object' && body['request_counts'] !== null ? body['request_counts'] : {}) as Json;
  return {
    id,
    status: statusOf(processing, body, counts),
    endpoint,
    inputFileId: '',
    // Only an ended batch's results are complete: before that the URL is not followed.
    outputFileId: processing === 'ended' ? text(body['results_url']) : null,
    errorFileId: null,
    total: requestTotal(counts),
    completed: count(counts['succeeded']),
    failed: count(counts['errored']) + count(counts['canceled']) + count(counts['expired']),
    createdAt: ms(body['created_at']),
    expiresAt: ms(body['expires_at']),
    metadata: {},
    errors: [],
  };
}
