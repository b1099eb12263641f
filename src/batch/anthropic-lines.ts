// Anthropic batch-file lines: `{custom_id, params}`, params being the Messages request the live provider would
// send (chat bodies translated by anthropic-mapping.ts, Anthropic-native lines' params as they are).
import type { Job } from '../input/record.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '../provider/anthropic-defaults.js';
import { toAnthropicRequest } from '../provider/anthropic-mapping.js';

/** custom_id is the request hash (64 hex digits: within Anthropic's ^[a-zA-Z0-9_-]{1,64}$). */
export function anthropicRequestLine(maxTokens: number | undefined): (job: Job, body: Record<string, unknown>) => string {
  return (job, body) => {
    const params = job.endpoint === '/v1/messages' ? body : toAnthropicRequest(body, maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS);
    return JSON.stringify({ custom_id: job.hash, params });
  };
}
