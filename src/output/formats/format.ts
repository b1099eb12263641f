// What a text export format is: how it writes done chat records, embeddings records and failed lines.
// Its own module so the formats and export.ts (which lists them) do not import each other.
import type { DoneRecord } from '../../checkpoint/done-records.js';
import type { FailedLine } from '../../checkpoint/failed-lines.js';
import type { ExportSource } from '../checkpoint-reader.js';
import type { EmbeddingRecord } from '../embedding-records.js';

export interface RowFormat<Row> {
  /** Written once at the top of the output (a CSV header), however many checkpoints follow. */
  header?(): string;
  /** One row as text, line ending included. */
  row(row: Row, source: ExportSource): string;
}

export interface EmbeddingRowFormat {
  header?(): string;
  /** One record as consecutive pieces of text (line endings included), one vector at a time. */
  row(record: EmbeddingRecord, source: ExportSource): Iterable<string>;
}

/** A format writes done records (chat and embeddings each in their own shape) by default and failed lines with --errors. */
export interface ExportFormat {
  readonly records: RowFormat<DoneRecord>;
  readonly embeddings: EmbeddingRowFormat;
  readonly errors: RowFormat<FailedLine>;
  /** One table shape per output (CSV): chat and embeddings records cannot share one export. */
  readonly oneKindPerOutput?: boolean;
}
