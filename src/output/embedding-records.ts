// A done embeddings record as the exporters see it: its manifest, and its vectors read from the checkpoint one
// at a time when a format asks for them, so a record with thousands of texts never sits in memory whole.
import type { EmbeddingManifest } from '../checkpoint/embedding-manifest.js';
import { isEmbeddingManifest } from '../checkpoint/embedding-manifest.js';
import type { DoneRecord } from '../checkpoint/done-records.js';
import type { VectorLookup } from '../checkpoint/embedding-rows.js';
import { parseStoredBody } from '../checkpoint/done-records.js';
import { FatalError } from '../errors.js';

export interface EmbeddingRecord {
  readonly id: string;
  readonly line: number;
  readonly cached: boolean;
  readonly statusCode: number;
  readonly requestId: string | null;
  readonly model: string;
  /** 'string': one text (exports write `embedding`); 'array': a list of texts (`embeddings`). */
  readonly input: 'string' | 'array';
  readonly dim: number;
  readonly vectorCount: number;
  readonly usage: { readonly prompt_tokens: number; readonly total_tokens: number };
  /** Each text's vector as dim little-endian float32 values, in input order. */
  vectors(): Iterable<Buffer>;
}

function inconsistent(record: Pick<DoneRecord, 'id' | 'line'>, problem: string): FatalError {
  return new FatalError(`Record ${JSON.stringify(record.id)} (line ${record.line}) ${problem}`, { code: 'MS_CHECKPOINT_INCONSISTENT' });
}

function validManifest(value: unknown): value is EmbeddingManifest {
  if (!isEmbeddingManifest(value)) return false;
  const { vectors, dim, input } = value;
  return (
    Array.isArray(vectors) &&
    vectors.every((key) => typeof key === 'string') &&
    Number.isInteger(dim) &&
    dim > 0 &&
    (input === 'string' || input === 'array')
  );
}

/** The manifest of a done embeddings record, with its vectors looked up lazily through `lookup`. */
export function embeddingRecord(record: DoneRecord, lookup: VectorLookup): EmbeddingRecord {
  const manifest = parseStoredBody(record);
  if (!validManifest(manifest)) throw inconsistent(record, 'is an embeddings record without a valid embedding manifest');
  if (manifest.input === 'string' && manifest.vectors.length !== 1) {
    throw inconsistent(record, `had one input text but its manifest lists ${manifest.vectors.length} vectors`);
  }
  return {
    id: record.id,
    line: record.line,
    cached: record.cached,
    statusCode: record.statusCode,
    requestId: record.requestId,
    model: manifest.model,
    input: manifest.input,
    dim: manifest.dim,
    vectorCount: manifest.vectors.length,
    usage: { prompt_tokens: manifest.usage?.prompt_tokens ?? 0, total_tokens: manifest.usage?.total_tokens ?? 0 },
    vectors: () => readVectors(record, manifest, lookup),
  };
}

function* readVectors(record: DoneRecord, manifest: EmbeddingManifest, lookup: VectorLookup): Generator<Buffer, void, undefined> {
  for (const [index, key] of manifest.vectors.entries()) {
    const vector = lookup(key);
    if (vector === undefined) throw inconsistent(record, `lists vector ${index} (${key}), which is missing from the checkpoint`);
    if (vector.dim !== manifest.dim || vector.data.length !== manifest.dim * 4) {
      throw inconsistent(record, `has vector ${index} of ${vector.data.length / 4} values where its manifest says ${manifest.dim}`);
    }
    yield vector.data;
  }
}
