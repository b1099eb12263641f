// Plain JSONL: one compact line per record — a chat record's answer text, finish reason and token usage, an
// embeddings record's vector(s) — and the error object every format but CSV writes for --errors.
import type { DoneRecord } from '../../checkpoint/done-records.js';
import type { FailedLine } from '../../checkpoint/failed-lines.js';
import { parseStoredBody } from '../../checkpoint/done-records.js';
import type { EmbeddingRecord } from '../embedding-records.js';
import type { EmbeddingRowFormat, ExportFormat, RowFormat } from './format.js';
import { vectorJson } from './vector-text.js';

export interface ChatAnswer {
  /** choices[0].message.content; null for an answer without one (embeddings, tool calls). */
  readonly content: string | null;
  readonly finishReason: string | null;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly totalTokens: number | null;
}

function objectAt(value: unknown, key: string | number): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const child = (value as Record<string | number, unknown>)[key];
  return typeof child === 'object' && child !== null ? (child as Record<string, unknown>) : undefined;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The parts of a chat completion that a table or a JSONL consumer wants; token counts from the stored columns first. */
export function chatAnswer(record: DoneRecord): ChatAnswer {
  const body = parseStoredBody(record);
  const choice = objectAt(objectAt(body, 'choices'), 0);
  const usage = objectAt(body, 'usage');
  return {
    content: stringOrNull(objectAt(choice, 'message')?.['content']),
    finishReason: stringOrNull(choice?.['finish_reason']),
    promptTokens: record.promptTokens ?? numberOrNull(usage?.['prompt_tokens']),
    completionTokens: record.completionTokens ?? numberOrNull(usage?.['completion_tokens']),
    totalTokens: record.totalTokens ?? numberOrNull(usage?.['total_tokens']),
  };
}

export const jsonlRecordRows: RowFormat<DoneRecord> = {
  row(record) {
    const answer = chatAnswer(record);
    return `${JSON.stringify({
      id: record.id,
      line: record.line,
      content: answer.content,
      finish_reason: answer.finishReason,
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.totalTokens,
      },
      cached: record.cached,
      trimmed: record.trimmed,
    })}\n`;
  },
};

/**
 * `{"id","line","model","usage","cached","embedding":[...]}`; a record whose input was an array writes
 * `"embeddings":[[...],...]` in input order instead. The vectors come last so that the short fields lead the line.
 */
export const jsonlEmbeddingRows: EmbeddingRowFormat = {
  *row(record: EmbeddingRecord) {
    const fields = JSON.stringify({ id: record.id, line: record.line, model: record.model, usage: record.usage, cached: record.cached });
    const array = record.input === 'array';
    yield `${fields.slice(0, -1)},${array ? '"embeddings":[' : '"embedding":'}`;
    let index = 0;
    for (const vector of record.vectors()) yield `${index++ === 0 ? '' : ','}${vectorJson(vector)}`;
    yield array ? ']}\n' : '}\n';
  },
};

export const jsonlErrorRows: RowFormat<FailedLine> = {
  row(failure) {
    return `${JSON.stringify({
      id: failure.id,
      line: failure.line,
      code: failure.code,
      message: failure.message,
      http_status: failure.httpStatus,
      retryable: failure.retryable,
      attempts: failure.attempts,
    })}\n`;
  },
};

export const jsonlFormat: ExportFormat = { records: jsonlRecordRows, embeddings: jsonlEmbeddingRows, errors: jsonlErrorRows };
