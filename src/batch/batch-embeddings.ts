// Embeddings in batch mode: what a member must remember of its texts (their vector keys), and how a batch answer
// becomes the same vectors + manifest a live run stores, so exports and the vector dedup see no difference.
import { type EmbeddingManifest, MANIFEST_OBJECT } from '../checkpoint/embedding-manifest.js';
import type { VectorOutcome } from '../checkpoint/store.js';
import { vectorKey } from '../engine/embeddings/vector-key.js';
import type { Job } from '../input/record.js';
import { vectorBlob } from '../provider/embeddings-answer.js';
import type { ProviderResponse } from '../provider/provider.js';
import { decodeVector, encodeVector, unitLength } from '../vectors/float32.js';

export interface EmbeddingDetail {
  readonly model: string;
  readonly input: 'string' | 'array';
  readonly keys: readonly string[];
}

function texts(input: unknown): string[] {
  const items = Array.isArray(input) ? (input as unknown[]) : [input];
  return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** The member's detail column for an embeddings job. */
export function embeddingDetail(job: Job, normalize: boolean): string {
  const detail: EmbeddingDetail = {
    model: typeof job.body['model'] === 'string' ? job.body['model'] : '',
    input: Array.isArray(job.body['input']) ? 'array' : 'string',
    keys: texts(job.body['input']).map((text) => vectorKey(job.body, text, normalize)),
  };
  return JSON.stringify(detail);
}

/** The body of a batch line: the job's request, asking for base64 vectors unless told otherwise. */
export function embeddingsRequestBody(job: Job, encoding: 'base64' | 'float'): Record<string, unknown> {
  return encoding === 'base64' ? { ...job.body, encoding_format: 'base64' } : job.body;
}

export type EmbeddingSettlement =
  | { readonly ok: true; readonly vectors: VectorOutcome[]; readonly response: ProviderResponse }
  | { readonly ok: false; readonly message: string };

/** The vectors of an OpenAI embeddings list, one per key of `detailText` in order, and the manifest as the response. */
export function settleEmbeddings(detailText: string, body: Readonly<Record<string, unknown>>, requestId: string | null, normalize: boolean, tokens: number): EmbeddingSettlement {
  const detail = JSON.parse(detailText) as EmbeddingDetail;
  const data = Array.isArray(body['data']) ? (body['data'] as unknown[]) : undefined;
  if (data === undefined || data.length !== detail.keys.length) {
    return { ok: false, message: `the embeddings answer holds ${data?.length ?? 0} vectors for ${detail.keys.length} texts` };
  }
  const byIndex = new Map<number, unknown>();
  data.forEach((item, position) => {
    const entry = (item ?? {}) as { index?: unknown; embedding?: unknown };
    byIndex.set(typeof entry.index === 'number' ? entry.index : position, entry.embedding);
  });
  const vectors: VectorOutcome[] = [];
  let dim = 0;
  for (const [index, key] of detail.keys.entries()) {
    const blob = vectorBlob(byIndex.get(index));
    if (!Buffer.isBuffer(blob)) return { ok: false, message: `the vector for index ${index} ${blob.problem}` };
    const data = normalize ? encodeVector(unitLength(decodeVector(blob))) : blob;
    dim = data.length / 4;
    vectors.push({ kind: 'vector', key, model: detail.model, dim, data });
  }
  const usage = (body['usage'] ?? {}) as { prompt_tokens?: unknown; total_tokens?: unknown };
  const prompt = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : tokens;
  const manifest: EmbeddingManifest = {
    object: MANIFEST_OBJECT,
    model: detail.model,
    input: detail.input,
    vectors: detail.keys,
    dim,
    usage: { prompt_tokens: prompt, total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : prompt },
  };
  return {
    ok: true,
    vectors,
    response: { status: 200, requestId, bodyText: JSON.stringify(manifest), usage: { promptTokens: prompt, completionTokens: null, totalTokens: prompt }, latencyMs: 0 },
  };
}
