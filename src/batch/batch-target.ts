// Where a batch run sends its files: OpenAI (or any server with its Files + Batches API, by --base-url), Anthropic's
// Message Batches (--provider anthropic), or the
// built-in mock, started in this process. The mock's batches live only as long as the run, so it always waits.
import vm from 'node:vm';
import type { RunOptions } from '../config/run-options.js';
import { AnthropicBatchClient } from '../provider/anthropic-batch-client.js';
import { ANTHROPIC_DEFAULT_BASE_URL } from '../provider/anthropic-defaults.js';
import { BatchClient } from '../provider/batch-client.js';
import { OPENAI_DEFAULT_BASE_URL } from '../provider/openai.js';

export interface BatchTarget {
  readonly client: BatchClient | AnthropicBatchClient;
  /** The in-process mock forgets its batches when the run ends: the run polls until they settle. */
  readonly forcesWait: boolean;
  close(): Promise<void>;
}

export async function openBatchClient(options: RunOptions): Promise<BatchTarget> {
  const common = { headers: options.headers, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries, releaseBuffers: minorGc() };
  if (options.provider === 'anthropic') {
    const client = new AnthropicBatchClient({ ...common, baseUrl: options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL, apiKey: options.apiKey });
    return { client, forcesWait: false, close: () => client.close() };
  }
  if (options.provider !== 'mock') {
    const client = new BatchClient({ ...common, baseUrl: options.baseUrl ?? OPENAI_DEFAULT_BASE_URL, apiKey: options.apiKey });
    return { client, forcesWait: false, close: () => client.close() };
  }
  const { startMockServer } = await import('../provider/mock-server.js');
  const server = await startMockServer({ port: 0, batches: { validatingMs: 20, inProgressMs: 50, finalizingMs: 20 } });
  const client = new BatchClient({ ...common, baseUrl: `${server.url}/v1`, apiKey: undefined });
  return {
    client,
    forcesWait: true,
    close: async () => {
      await client.close().catch(() => undefined);
      await server.close();
    },
  };
}

/** A young-generation GC, where run-job's tuneV8 exposed gc (it is cheap: the upload's sent buffers are young). */
function minorGc(): (() => void) | undefined {
  try {
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
}
