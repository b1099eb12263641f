// Where each provider's key and base URL come from in the environment, and what `--provider anthropic` needs
// before a run starts (run-options.ts resolves the rest).
import { UsageError } from '../errors.js';
import type { Mode } from '../input/record.js';
import type { ProviderName } from '../provider/provider.js';

const BASE_URL_VARIABLES: Readonly<Partial<Record<ProviderName, string>>> = {
  openai: 'OPENAI_BASE_URL',
  anthropic: 'ANTHROPIC_BASE_URL',
  ollama: 'OLLAMA_HOST',
};
const API_KEY_VARIABLES: Readonly<Partial<Record<ProviderName, string>>> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };

/** Each provider's own key only: an OpenAI key is never sent to Anthropic, nor the other way round. */
export function apiKeyFromEnv(provider: ProviderName, environment: NodeJS.ProcessEnv): string | undefined {
  const variable = API_KEY_VARIABLES[provider];
  return variable === undefined ? undefined : nonEmpty(environment[variable]);
}

/** Anthropic has no embeddings API, and its own API answers nothing without a key: both are said before the run starts. */
export function checkAnthropic(mode: Mode, baseUrl: string | undefined, apiKey: string | undefined, headers: readonly (readonly [string, string])[], dryRun: boolean): void {
  if (mode === 'embeddings') {
    throw new UsageError('Expected `--mode cache` with `--provider anthropic`: Anthropic has no embeddings API', {
      code: 'MS_BAD_OPTION',
      hint: 'Run embeddings with --provider openai (or an OpenAI-compatible server) or --provider ollama.',
    });
  }
  const realApi = baseUrl === undefined || URL.parse(baseUrl)?.hostname === 'api.anthropic.com';
  const keyHeader = headers.some(([name]) => /^(x-api-key|authorization)$/i.test(name));
  if (realApi && apiKey === undefined && !keyHeader && !dryRun) {
    throw new UsageError('`--provider anthropic` needs ANTHROPIC_API_KEY (environment or .env) to call https://api.anthropic.com', {
      code: 'MS_NO_API_KEY',
      hint: 'export ANTHROPIC_API_KEY=sk-ant-... (or put it in .env), or point --base-url / ANTHROPIC_BASE_URL at a gateway.',
    });
  }
}

export function providerBaseUrlFromEnv(provider: ProviderName, environment: NodeJS.ProcessEnv): string | undefined {
  const variable = BASE_URL_VARIABLES[provider];
  const value = variable === undefined ? undefined : environment[variable];
  const url = nonEmpty(value);
  if (url === undefined) return undefined;
  // OLLAMA_HOST is often written without a scheme (127.0.0.1:11434).
  return (/^https?:\/\//.test(url) ? url : `http://${url}`).replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
