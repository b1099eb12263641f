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

export { decodeVector, encodeVector } from '../vectors/float32.js';
