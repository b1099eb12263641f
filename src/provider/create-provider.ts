// Picks and builds the run's provider. `mock` starts the mock server in this process and talks to it over real HTTP.
import { ANTHROPIC_DEFAULT_MODEL } from './anthropic-defaults.js';
import type { Provider, ProviderName } from './provider.js';

export interface ProviderOptions {
  readonly provider: ProviderName;
  /** OpenAI-style with the version path (`http://127.0.0.1:8000/v1`); Ollama and Anthropic without it. Undefined: the default. */
  readonly baseUrl: string | undefined;
  readonly apiKey: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** Pooled sockets per origin: about --concurrency. */
  readonly connections: number;
  /** Ollama's keep_alive. */
  readonly keepAlive?: string | undefined;
  /** Anthropic: `max_tokens` of a request that has none (default 1024). */
  readonly maxTokens?: number | undefined;
  readonly mock?: { readonly latencyMs?: number; readonly failRate?: number; readonly responseBytes?: number | undefined };
}

/** The model for records that name none: the mock answers to any name, real providers need one from the user. */
export function defaultModelFor(provider: ProviderName): string | undefined {
  if (provider === 'anthropic') return ANTHROPIC_DEFAULT_MODEL;
  return provider === 'mock' ? 'mock-small' : undefined;
}

export async function createProvider(options: ProviderOptions): Promise<Provider> {
  if (options.provider === 'ollama') {
    const { OllamaProvider, OLLAMA_DEFAULT_BASE_URL } = await import('./ollama.js');
    return new OllamaProvider({
      baseUrl: options.baseUrl ?? OLLAMA_DEFAULT_BASE_URL,
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      connections: options.connections,
      keepAlive: options.keepAlive,
    });
  }
  if (options.provider === 'anthropic') {
    const { AnthropicProvider, ANTHROPIC_DEFAULT_BASE_URL } = await import('./anthropic.js');
    return new AnthropicProvider({
      baseUrl: options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
      apiKey: options.apiKey,
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      connections: options.connections,
      maxTokens: options.maxTokens,
    });
  }
  const { OpenAiProvider, OPENAI_DEFAULT_BASE_URL } = await import('./openai.js');
  if (options.provider === 'openai') {
    return new OpenAiProvider({
      baseUrl: options.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
      apiKey: options.apiKey,
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      connections: options.connections,
    });
  }
  const { startMockServer } = await import('./mock-server.js');
  const server = await startMockServer({
    port: 0,
    ...(options.mock?.latencyMs === undefined ? {} : { latencyMs: options.mock.latencyMs }),
    ...(options.mock?.failRate === undefined ? {} : { failRate: options.mock.failRate }),
    ...(options.mock?.responseBytes === undefined ? {} : { responseBytes: options.mock.responseBytes }),
  });
  // The real API key is never sent to the mock; the loopback server is reached without a proxy.
  const client = new OpenAiProvider({
    name: 'mock',
    baseUrl: `${server.url}/v1`,
    apiKey: undefined,
    headers: options.headers,
    timeoutMs: options.timeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    connections: options.connections,
    useProxyEnv: false,
  });
  let closing: Promise<void> | undefined;
  return {
    name: client.name,
    baseUrl: client.baseUrl,
    embeddingEncoding: client.embeddingEncoding,
    send: (endpoint, body, signal) => client.send(endpoint, body, signal),
    close: () => {
      closing ??= closeBoth(client, server);
      return closing;
    },
  };
}

async function closeBoth(client: Provider, server: { close(): Promise<void> }): Promise<void> {
  try {
    await client.close();
  } finally {
    await server.close();
  }
}

export interface UnloadableProvider extends Provider {
  /** Frees the model's memory on the server now (Ollama `keep_alive: 0`). */
  unloadModel(model: string, signal?: AbortSignal): Promise<void>;
}

/** Whether the provider can unload a model (Ollama): for the memory breaker and `--unload`. */
export function canUnload(provider: Provider): provider is UnloadableProvider {
  return typeof (provider as Partial<UnloadableProvider>).unloadModel === 'function';
}
