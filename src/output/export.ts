// `memsafe export`: streams one or more checkpoints, each in input line order, through a format into one output.
// Rows are gathered into small chunks and written with backpressure; nothing holds more than a chunk and a row.
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { openCheckpoint } from '../checkpoint/open.js';
import type { DoneRecord, FailedLine } from '../checkpoint/queries.js';
import { iterateDoneRecords, iterateFailedLines } from '../checkpoint/queries.js';
import { FatalError, MemsafeError, errorMessage } from '../errors.js';
import { csvFormat } from './formats/csv.js';
import { jsonlFormat } from './formats/jsonl.js';
import { openaiBatchFormat } from './formats/openai-batch.js';
import type { OutputSink } from './output-file.js';
import { OutputClosedError, openOutput } from './output-file.js';

/** The checkpoint a row came from (its real path), for formats that derive ids from it. */
export interface ExportSource {
  readonly checkpoint: string;
}

export interface RowFormat<Row> {
  /** Written once at the top of the output (a CSV header), however many checkpoints follow. */
  header?(): string;
  /** One row as text, line ending included. */
  row(row: Row, source: ExportSource): string;
}

/** A format writes done records by default and failed lines with --errors. */
export interface ExportFormat {
  readonly records: RowFormat<DoneRecord>;
  readonly errors: RowFormat<FailedLine>;
}

// The extension point: a new format (embeddings JSONL, .npy) is one entry here and one file in formats/.
export const EXPORT_FORMATS = {
  'openai-batch': openaiBatchFormat,
  jsonl: jsonlFormat,
  csv: csvFormat,
} as const satisfies Record<string, ExportFormat>;

export type ExportFormatName = keyof typeof EXPORT_FORMATS;
export const EXPORT_FORMAT_NAMES = Object.keys(EXPORT_FORMATS) as ExportFormatName[];

export interface ExportOptions {
  /** Checkpoint files, written one after the other. */
  readonly checkpoints: readonly string[];
  readonly format: ExportFormatName;
  /** Write failed lines instead of done records. */
  readonly errors: boolean;
  /** A file path (`.gz` compresses); undefined or `-` is stdout. */
  readonly out: string | undefined;
}

export interface ExportResult {
  readonly rows: number;
  /** `stdout` or the output path. */
  readonly output: string;
  /** The reader of stdout stopped early (`| head`); rows counts what was written until then. */
  readonly outputClosed: boolean;
}

/** About 64 KiB per write: few syscalls, and a bounded amount of text in memory. */
const CHUNK_CHARS = 64 * 1024;

class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly sink: OutputSink) {}

  async add(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.sink.write(chunk);
  }
}

/** `stdout` is injectable for tests; the CLI passes nothing and process.stdout is used. */
export async function exportCheckpoints(options: ExportOptions, stdout?: Writable): Promise<ExportResult> {
  const format = EXPORT_FORMATS[options.format];
  // Refuse a missing or foreign checkpoint before the output is created.
  const sources = options.checkpoints.map((file) => {
    openCheckpoint(file, { create: false, readonly: true }).close();
    return { file, source: { checkpoint: fs.realpathSync(file) } };
  });
  const sink = await openOutput(options.out, stdout);
  const writer = new ChunkedWriter(sink);
  let rows = 0;
  try {
    const rowFormat: RowFormat<DoneRecord> | RowFormat<FailedLine> = options.errors ? format.errors : format.records;
    if (rowFormat.header !== undefined) await writer.add(rowFormat.header());
    for (const { file, source } of sources) {
      rows += await withCheckpoint(file, (db) =>
        options.errors
          ? writeRows(iterateFailedLines(db), format.errors, source, writer)
          : writeRows(iterateDoneRecords(db), format.records, source, writer),
      );
    }
    await writer.flush();
    await sink.close();
    return { rows, output: sink.name, outputClosed: false };
  } catch (error) {
    if (error instanceof OutputClosedError) return { rows, output: sink.name, outputClosed: true };
    await sink.abort();
    throw error;
  }
}

async function writeRows<Row>(rows: Iterable<Row>, format: RowFormat<Row>, source: ExportSource, writer: ChunkedWriter): Promise<number> {
  let written = 0;
  for (const row of rows) {
    await writer.add(format.row(row, source));
    written++;
  }
  return written;
}

async function withCheckpoint(file: string, use: (db: Database.Database) => Promise<number>): Promise<number> {
  const db = openCheckpoint(file, { create: false, readonly: true });
  try {
    return await use(db);
  } catch (error) {
    if (error instanceof MemsafeError || error instanceof OutputClosedError) throw error;
    throw new FatalError(`Cannot read checkpoint ${file}: ${errorMessage(error)}`, { code: 'MS_CHECKPOINT_READ', cause: error });
  } finally {
    db.close();
  }
}
