// The embeddings side of an export: each done embeddings record's shape (from its manifest) and its vectors by key.
import type Database from 'better-sqlite3';
import { FatalError } from '../errors.js';
import { EMBEDDINGS_ENDPOINT, missingResponse } from './done-records.js';

/** How many vectors a done embeddings record holds and their dimension, read from its manifest without loading it. */
export interface EmbeddingShape {
  readonly id: string;
  readonly line: number;
  readonly vectors: number;
  readonly dim: number;
}

interface ShapeRow {
  id: string;
  line: number;
  body_present: number;
  vectors: number | null;
  dim: number | null;
}

export const EMBEDDING_SHAPES_SQL = `
  SELECT r.id, r.line, p.body IS NOT NULL AS body_present,
         json_array_length(p.body, '$.vectors') AS vectors, json_extract(p.body, '$.dim') AS dim
    FROM records AS r INDEXED BY records_line
    LEFT JOIN responses AS p ON p.hash = r.hash
   WHERE r.status = 'done' AND r.endpoint = '${EMBEDDINGS_ENDPOINT}'
   ORDER BY r.line`;

/** The shape of every done embeddings record in line order: lets a .npy export size its matrix before writing it. */
export function* iterateEmbeddingShapes(db: Database.Database): Generator<EmbeddingShape, void, undefined> {
  for (const row of db.prepare(EMBEDDING_SHAPES_SQL).iterate() as IterableIterator<ShapeRow>) {
    if (row.body_present === 0) throw missingResponse(row.id, row.line);
    if (row.vectors === null || typeof row.dim !== 'number' || !Number.isInteger(row.dim)) {
      throw new FatalError(`Record ${JSON.stringify(row.id)} (line ${row.line}) is an embeddings record without an embedding manifest`, {
        code: 'MS_CHECKPOINT_INCONSISTENT',
      });
    }
    yield { id: row.id, line: row.line, vectors: row.vectors, dim: row.dim };
  }
}

export interface StoredVector {
  readonly dim: number;
  /** dim little-endian float32 values. */
  readonly data: Buffer;
}

export type VectorLookup = (key: string) => StoredVector | undefined;

/** One indexed read per vector key, allowed while an export's record iterator is still stepping. */
export function vectorLookup(db: Database.Database): VectorLookup {
  // Prepared on first use: a checkpoint from before schema 2 has no vectors table (and no embeddings records).
  let statement: Database.Statement | undefined;
  return (key) => {
    statement ??= db.prepare('SELECT dim, data FROM vectors WHERE key = ?');
    return statement.get(key) as StoredVector | undefined;
  };
}
