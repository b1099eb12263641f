// The response a done embeddings record stores: a manifest of its vectors' keys (vectors live once per text).
import { type EmbeddingManifest, MANIFEST_OBJECT } from '../../checkpoint/embedding-manifest.js';
import type { Job } from '../../input/record.js';
import type { ProviderResponse } from '../../provider/provider.js';

export function manifestResponse(job: Job, model: string, keys: readonly string[], dim: number, answer?: ProviderResponse): ProviderResponse {
  const manifest: EmbeddingManifest = {
    object: MANIFEST_OBJECT,
    model,
    input: Array.isArray(job.body['input']) ? 'array' : 'string',
    vectors: keys,
    dim,
    usage: { prompt_tokens: job.estimatedTokens, total_tokens: job.estimatedTokens },
  };
  return {
    status: 200,
    requestId: answer?.requestId ?? null,
    bodyText: JSON.stringify(manifest),
    // Embeddings have no completion: 0, so the record is priced (null would read as an answer without usage).
    usage: { promptTokens: job.estimatedTokens, completionTokens: 0, totalTokens: job.estimatedTokens },
    latencyMs: answer?.latencyMs ?? 0,
  };
}
