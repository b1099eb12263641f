// CSV for spreadsheets, RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted, quotes doubled.
// One table per export: chat records or embeddings records (one row per text), never both.
import type { DoneRecord } from '../../checkpoint/done-records.js';
import type { FailedLine } from '../../checkpoint/failed-lines.js';
import type { EmbeddingRecord } from '../embedding-records.js';
import type { EmbeddingRowFormat, ExportFormat, RowFormat } from './format.js';
import { chatAnswer } from './jsonl.js';
import { vectorJson } from './vector-text.js';

export type CsvValue = string | number | boolean | null;

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const csvRecordRows: RowFormat<DoneRecord> = {
  // model and cost_usd come last: columns are only ever added at the end, so positional readers keep working.
  header: () => csvLine(['id', 'line', 'status', 'content', 'prompt_tokens', 'completion_tokens', 'cached', 'trimmed', 'model', 'cost_usd']),
  row(record) {
    const answer = chatAnswer(record);
    return csvLine([
      record.id,
      record.line,
      'done',
      answer.content,
      answer.promptTokens,
      answer.completionTokens,
      record.cached,
      record.trimmed,
      record.model ?? null,
      record.costUsd ?? null,
    ]);
  },
};

/** One row per input text: `index` is its place in the record's input (0 for a single text), `embedding` a JSON array. */
export const csvEmbeddingRows: EmbeddingRowFormat = {
  header: () => csvLine(['id', 'line', 'index', 'dim', 'embedding']),
  *row(record: EmbeddingRecord) {
    let index = 0;
    for (const vector of record.vectors()) yield csvLine([record.id, record.line, index++, record.dim, vectorJson(vector)]);
  },
};

export const csvErrorRows: RowFormat<FailedLine> = {
  header: () => csvLine(['id', 'line', 'code', 'message', 'http_status', 'retryable', 'attempts']),
  row: (failure) =>
    csvLine([
      failure.id,
      failure.line,
      failure.code,
      failure.message,
      failure.httpStatus,
      failure.retryable,
      failure.attempts,
    ]),
};

export const csvFormat: ExportFormat = {
  records: csvRecordRows,
  embeddings: csvEmbeddingRows,
  errors: csvErrorRows,
  oneKindPerOutput: true,
};
