// A text's identity for dedup: the same text under the same model and vector options is the same vector.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../input/request-hash.js';

/** Body fields that do not change a vector: the texts, their wire format, and the end-user tag. */
const NOT_VECTOR_OPTIONS = new Set(['input', 'encoding_format', 'user', 'model', 'dimensions']);

/**
 * Other body fields (e.g. `input_type` of query/document models behind a gateway) join the key only when
 * present, so the keys of plain records stay as earlier versions wrote them.
 */
export function vectorKey(body: Record<string, unknown>, text: string, normalize: boolean): string {
  const options = Object.entries(body).filter(([name]) => !NOT_VECTOR_OPTIONS.has(name));
  const identity = {
    model: body['model'] ?? null,
    dimensions: body['dimensions'] ?? null,
    normalize,
    text,
    ...(options.length === 0 ? {} : { options: Object.fromEntries(options) }),
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** The texts of an embeddings body: `input` as a list, or the one string. */
export function textsOf(body: Record<string, unknown>): string[] {
  const input = body['input'];
  return Array.isArray(input) ? (input as string[]) : [String(input)];
}
