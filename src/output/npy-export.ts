// `memsafe export --format npy`: every text's vector as one row of a float32 .npy matrix, plus an ids file in
// the same row order. The header needs the row count first, so a first pass counts rows from the manifests;
// the second streams the vectors. Both run in one read transaction per checkpoint, so a run writing meanwhile
// cannot make the rows disagree with the header.
import type Database from 'better-sqlite3';
import { openCheckpoint } from '../checkpoint/open.js';
import { countDoneKinds, iterateDoneEmbeddings } from '../checkpoint/done-records.js';
import { iterateEmbeddingShapes, vectorLookup } from '../checkpoint/embedding-rows.js';
import { FatalError, UsageError } from '../errors.js';
import type { CheckedCheckpoint } from './checkpoint-reader.js';
import { checkCheckpoints, readFailure } from './checkpoint-reader.js';
import { ByteChunkWriter, TextChunkWriter } from './chunked-writer.js';
import { embeddingRecord } from './embedding-records.js';
import type { ExportOptions, ExportResult } from './export-options.js';
import { idsLine, idsPath, isNpyPath, npyHeader } from './formats/npy.js';
import type { OutputSink } from './output-file.js';
import { isStdout, openOutput } from './output-file.js';

interface Reader extends CheckedCheckpoint {
  readonly db: Database.Database;
}

/** Where the matrix's dimension was first seen, to name both sides of a mismatch. */
interface FirstShape {
  readonly dim: number;
  readonly id: string;
  readonly line: number;
  readonly file: string;
}

interface Plan {
  readonly rows: number;
  readonly dim: number;
  readonly leftOut: number;
}

export type OpenSink = (file: string) => Promise<OutputSink>;

/** `openSink` is injectable for tests (a sink that holds its writes); the CLI writes the files. */
export async function exportNpy(options: ExportOptions, openSink: OpenSink = (file) => openOutput(file)): Promise<ExportResult> {
  const out = checkNpyOptions(options);
  const readers = openReaders(checkCheckpoints(options.checkpoints));
  try {
    const plan = planMatrix(readers);
    const idsFile = idsPath(out);
    const matrix = await openSink(out);
    let ids: OutputSink;
    try {
      ids = await openSink(idsFile);
    } catch (error) {
      await matrix.abort();
      throw error;
    }
    try {
      const records = await writeMatrix(readers, plan, matrix, ids);
      await ids.close();
      await matrix.close();
      return { rows: records, output: matrix.name, outputClosed: false, npy: { vectors: plan.rows, dim: plan.dim, idsFile, leftOut: plan.leftOut } };
    } catch (error) {
      await Promise.all([matrix.abort(), ids.abort()]);
      throw error;
    }
  } finally {
    closeReaders(readers);
  }
}

/** The `--out` path, once the options make sense for a binary matrix. */
function checkNpyOptions(options: ExportOptions): string {
  if (options.errors) {
    throw new UsageError('`--errors` writes failed lines as text; `--format npy` writes only vectors', {
      code: 'MS_NPY_ERRORS',
      hint: 'Use --errors with --format jsonl, csv or openai-batch.',
    });
  }
  const out = options.out;
  if (out === undefined || isStdout(out)) {
    throw new UsageError('`--format npy` writes a binary matrix to a file, never to stdout', {
      code: 'MS_OUT_PATH',
      hint: 'Pass --out <name>.npy; the row ids go to <name>.ids.tsv next to it.',
    });
  }
  if (out.endsWith('.gz')) {
    throw new UsageError(`\`--out\` ${out}: a .npy matrix is written uncompressed, so that NumPy can memory-map it`, {
      code: 'MS_OUT_PATH',
      hint: 'Pass --out <name>.npy and compress it afterwards if you must.',
    });
  }
  if (!isNpyPath(out)) {
    throw new UsageError(`Expected \`--out\` to end in .npy for --format npy, got \`${out}\``, { code: 'MS_OUT_PATH' });
  }
  return out;
}

function openReaders(checkpoints: readonly CheckedCheckpoint[]): Reader[] {
  const readers: Reader[] = [];
  let file = '';
  try {
    for (const checkpoint of checkpoints) {
      file = checkpoint.file;
      const db = openCheckpoint(file, { create: false, readonly: true });
      readers.push({ ...checkpoint, db });
      // Deferred: the snapshot is taken by the first read (the counting pass) and kept until COMMIT.
      db.exec('BEGIN');
    }
    return readers;
  } catch (error) {
    closeReaders(readers);
    throw readFailure(file, error);
  }
}

function closeReaders(readers: readonly Reader[]): void {
  for (const { db } of readers) {
    try {
      if (db.inTransaction) db.exec('COMMIT');
    } catch {
      // closing rolls a read transaction back anyway
    }
    db.close();
  }
}

/** Counts the matrix's rows and checks that every record has the same dimension, before any output exists. */
function planMatrix(readers: readonly Reader[]): Plan {
  let rows = 0;
  let leftOut = 0;
  let first: FirstShape | undefined;
  for (const { file, db } of readers) {
    try {
      for (const shape of iterateEmbeddingShapes(db)) {
        first ??= { dim: shape.dim, id: shape.id, line: shape.line, file };
        if (shape.dim !== first.dim) throw dimensionMismatch(first, { ...shape, file }, readers.length > 1);
        rows += shape.vectors;
      }
      const kinds = countDoneKinds(db);
      leftOut += kinds.done - kinds.embeddings;
    } catch (error) {
      throw readFailure(file, error);
    }
  }
  if (first === undefined || rows === 0) {
    const what = readers.length === 1 ? `Checkpoint ${readers[0]?.file ?? ''} holds` : 'The checkpoints hold';
    throw new UsageError(`${what} no done embeddings records: there are no vectors for a .npy matrix`, {
      code: 'MS_NPY_EMPTY',
      hint: 'Export chat results with --format jsonl, csv or openai-batch; embeddings come from `memsafe embeddings`.',
    });
  }
  return { rows, dim: first.dim, leftOut };
}

function dimensionMismatch(first: FirstShape, other: FirstShape, nameFiles: boolean): UsageError {
  const where = (shape: FirstShape): string => `${JSON.stringify(shape.id)} (line ${shape.line}${nameFiles ? ` of ${shape.file}` : ''})`;
  return new UsageError(
    `Record ${where(other)} has ${other.dim}-dimensional vectors but record ${where(first)} has ${first.dim}: a .npy matrix needs one dimension`,
    {
      code: 'MS_NPY_DIMENSIONS',
      hint: 'Export with --format jsonl, which keeps each vector its own length, or embed every record with the same model and dimensions.',
    },
  );
}

/** Streams every vector into the matrix and its id into the ids file; returns how many records they came from. */
async function writeMatrix(readers: readonly Reader[], plan: Plan, matrix: OutputSink, ids: OutputSink): Promise<number> {
  const rowsOut = new ByteChunkWriter(matrix);
  const idsOut = new TextChunkWriter(ids);
  await rowsOut.add(npyHeader(plan.rows, plan.dim));
  let written = 0;
  let records = 0;
  for (const { file, db } of readers) {
    try {
      const lookup = vectorLookup(db);
      for (const record of iterateDoneEmbeddings(db)) {
        const embeddings = embeddingRecord(record, lookup);
        if (embeddings.dim !== plan.dim || written + embeddings.vectorCount > plan.rows) throw changedUnderfoot(file);
        let index = 0;
        for (const vector of embeddings.vectors()) {
          await rowsOut.add(vector);
          await idsOut.add(idsLine(record.id, index++));
        }
        written += embeddings.vectorCount;
        records++;
      }
    } catch (error) {
      throw readFailure(file, error);
    }
  }
  if (written !== plan.rows) throw changedUnderfoot(readers.at(-1)?.file ?? '');
  await rowsOut.flush();
  await idsOut.flush();
  return records;
}

/** Cannot happen inside one read transaction; guards the header against a checkpoint that changed anyway. */
function changedUnderfoot(file: string): FatalError {
  return new FatalError(`Checkpoint ${file} changed between counting and writing its vectors; the .npy was not written`, {
    code: 'MS_CHECKPOINT_INCONSISTENT',
    hint: 'Run the export again.',
  });
}
