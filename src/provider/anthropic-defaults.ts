// Anthropic's constants, in a module of their own so config can read them without loading the HTTP client.

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
/** `max_tokens` of a request that names none (Anthropic requires it): --max-tokens' default. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;
/** The model of lines that name none, when --model is not given. */
export const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-4-5';
