// `memsafe export`: streams one or more checkpoints, each in input line order, through a format into one output.
// Rows are gathered into small chunks and written with backpressure; nothing holds more than a chunk and a row
// (an embeddings record's vectors are read and written one at a time).
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import type { FailedLine } from '../checkpoint/failed-lines.js';
import { EMBEDDINGS_ENDPOINT, countDoneKinds, iterateDoneRecords } from '../checkpoint/done-records.js';
import { vectorLookup } from '../checkpoint/embedding-rows.js';
import { iterateFailedLines } from '../checkpoint/failed-lines.js';
import { UsageError } from '../errors.js';
import type { ExportSource } from './checkpoint-reader.js';
import { checkCheckpoints, withCheckpoint } from './checkpoint-reader.js';
import { TextChunkWriter } from './chunked-writer.js';
import { embeddingRecord } from './embedding-records.js';
import type { ExportFormatName, ExportOptions, ExportResult, TextFormatName } from './export-options.js';
import { csvFormat } from './formats/csv.js';
import type { ExportFormat, RowFormat } from './formats/format.js';
import { jsonlFormat } from './formats/jsonl.js';
import { openaiBatchFormat } from './formats/openai-batch.js';
import { exportNpy } from './npy-export.js';
import { OutputClosedError, openOutput } from './output-file.js';

export type { ExportSource } from './checkpoint-reader.js';
export type { ExportFormatName, ExportOptions, ExportResult, NpyExportDetails, TextFormatName } from './export-options.js';

// The text formats; a new one is one entry here and one file in formats/. `npy` (a binary matrix) is its own exporter.
export const EXPORT_FORMATS = {
  'openai-batch': openaiBatchFormat,
  jsonl: jsonlFormat,
  csv: csvFormat,
} as const satisfies Record<TextFormatName, ExportFormat>;

export const EXPORT_FORMAT_NAMES: readonly ExportFormatName[] = [...(Object.keys(EXPORT_FORMATS) as TextFormatName[]), 'npy'];

type RecordKind = 'chat' | 'embeddings';

/** `stdout` is injectable for tests; the CLI passes nothing and process.stdout is used. */
export async function exportCheckpoints(options: ExportOptions, stdout?: Writable): Promise<ExportResult> {
  if (options.format === 'npy') return exportNpy(options);
  const format: ExportFormat = EXPORT_FORMATS[options.format];
  const checkpoints = checkCheckpoints(options.checkpoints);
  const onlyKind = !options.errors && format.oneKindPerOutput === true ? await soleKind(options.checkpoints, options.format) : undefined;
  const sink = await openOutput(options.out, stdout);
  const writer = new TextChunkWriter(sink);
  let rows = 0;
  try {
    const header = options.errors ? format.errors.header : onlyKind === 'embeddings' ? format.embeddings.header : format.records.header;
    if (header !== undefined) await writer.add(header());
    for (const { file, source } of checkpoints) {
      rows += await withCheckpoint(file, (db) =>
        options.errors
          ? writeFailedLines(db, format.errors, source, writer)
          : writeRecords(db, format, source, writer, onlyKind === undefined ? undefined : { kind: onlyKind, format: options.format }),
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

function mixedKindsError(format: string): UsageError {
  return new UsageError(`--format ${format} writes one kind of record, but the checkpoints hold both chat and embeddings records`, {
    code: 'MS_EXPORT_MIXED',
    hint: 'Export them with --format jsonl or openai-batch, which write each record in its own shape.',
  });
}

/** The one kind of done record a CSV export will hold (chat when there are none), decided before the header is written. */
async function soleKind(files: readonly string[], format: string): Promise<RecordKind> {
  let done = 0;
  let embeddings = 0;
  for (const file of files) {
    const kinds = await withCheckpoint(file, countDoneKinds);
    done += kinds.done;
    embeddings += kinds.embeddings;
  }
  if (embeddings > 0 && embeddings < done) throw mixedKindsError(format);
  return embeddings > 0 ? 'embeddings' : 'chat';
}

async function writeRecords(
  db: Database.Database,
  format: ExportFormat,
  source: ExportSource,
  writer: TextChunkWriter,
  only: { readonly kind: RecordKind; readonly format: string } | undefined,
): Promise<number> {
  const lookup = vectorLookup(db);
  let written = 0;
  for (const record of iterateDoneRecords(db)) {
    const kind: RecordKind = record.endpoint === EMBEDDINGS_ENDPOINT ? 'embeddings' : 'chat';
    // A run that wrote the other kind since soleKind() counted: refuse rather than break the table.
    if (only !== undefined && kind !== only.kind) throw mixedKindsError(only.format);
    if (kind === 'embeddings') {
      for (const piece of format.embeddings.row(embeddingRecord(record, lookup), source)) await writer.add(piece);
    } else {
      await writer.add(format.records.row(record, source));
    }
    written++;
  }
  return written;
}

async function writeFailedLines(db: Database.Database, format: RowFormat<FailedLine>, source: ExportSource, writer: TextChunkWriter): Promise<number> {
  let written = 0;
  for (const failure of iterateFailedLines(db)) {
    await writer.add(format.row(failure, source));
    written++;
  }
  return written;
}
