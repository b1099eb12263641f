// Plain JSONL: one compact line per chat record (the answer's text, finish reason and token usage), and the
// error object every format but CSV writes for --errors.
import type { DoneRecord, FailedLine } from '../../checkpoint/queries.js';
import { parseStoredBody } from '../../checkpoint/queries.js';
import type { ExportFormat, RowFormat } from '../export.js';

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

export const jsonlFormat: ExportFormat = { records: jsonlRecordRows, errors: jsonlErrorRows };
