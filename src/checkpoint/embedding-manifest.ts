// What a done embeddings record stores as its response body: the keys of its vectors in input order.
// Vectors live once per distinct text in the `vectors` table; exports turn the manifest back into
// OpenAI `list` bodies, JSONL rows or .npy rows.

export const MANIFEST_OBJECT = 'memsafe.embedding_manifest';

export interface EmbeddingManifest {
  readonly object: typeof MANIFEST_OBJECT;
  readonly model: string;
  /** 'string' when the record's input was one text (export: "embedding"), 'array' for a list ("embeddings"). */
  readonly input: 'string' | 'array';
  /** vectors.key of each input text, in the order of the record's input. */
  readonly vectors: readonly string[];
  readonly dim: number;
  readonly usage: { readonly prompt_tokens: number; readonly total_tokens: number };
}

export function isEmbeddingManifest(value: unknown): value is EmbeddingManifest {
  return typeof value === 'object' && value !== null && (value as { object?: unknown }).object === MANIFEST_OBJECT;
}

/** float32 little-endian BLOB <-> numbers, whatever the machine's byte order. */
export function encodeVector(values: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i] ?? 0, i * 4);
  return buffer;
}

export function decodeVector(blob: Buffer): number[] {
  const values = new Array<number>(blob.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = blob.readFloatLE(i * 4);
  return values;
}
