// Token counts for --tpm, --dry-run and --max-context-tokens: exact (gpt-tokenizer) only when asked,
// because loading the tokenizer costs about 70 MB of RSS and 150 ms; otherwise ceil(chars / 4).
import { messageText, type ChatMessage } from './chat-message.js';

export type { ChatMessage } from './chat-message.js';

export interface TokenCounter {
  countText(text: string): number;
  /** Prompt tokens of a chat request, framing included (see CHAT_FRAMING). */
  countMessages(messages: readonly ChatMessage[]): number;
  readonly exact: boolean;
}

/**
 * Chat framing, as OpenAI's cookbook counts it for gpt-4o / gpt-4 / gpt-3.5-turbo-0613 ("How to count tokens
 * with tiktoken"): each message costs 3 tokens of framing (<|start|>{role}<|message|>…<|end|>) plus its role
 * and content tokens, +1 when it has a `name` (plus the name's tokens), and every reply is primed with 3 tokens
 * (<|start|>assistant<|message|>). The same overhead is added to the cheap estimate so both agree on shape.
 */
export const CHAT_FRAMING = { perMessage: 3, perName: 1, replyPriming: 3 } as const;

function chatCounter(countText: (text: string) => number, exact: boolean): TokenCounter {
  return {
    exact,
    countText,
    countMessages(messages) {
      let total = CHAT_FRAMING.replyPriming;
      for (const message of messages) {
        total += CHAT_FRAMING.perMessage + countText(message.role) + countText(messageText(message));
        if (typeof message.name === 'string') total += CHAT_FRAMING.perName + countText(message.name);
      }
      return total;
    },
  };
}

export const estimateTokenCounter: TokenCounter = chatCounter((text) => Math.ceil(text.length / 4), false);

// The tokenizer's merge cache is an LRU of 100k entries by default; a smaller one keeps its memory modest.
const MERGE_CACHE_ENTRIES = 20_000;
// Input text is data, not control: `<|endoftext|>` in a prompt is counted as plain text instead of throwing.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

let exactCounter: Promise<TokenCounter> | undefined;

async function loadExactCounter(): Promise<TokenCounter> {
  // o200k_base: the encoding of gpt-4o, gpt-4.1, gpt-5 and the o-series.
  const tokenizer = await import('gpt-tokenizer');
  tokenizer.setMergeCacheSize(MERGE_CACHE_ENTRIES);
  return chatCounter((text) => (text === '' ? 0 : tokenizer.countTokens(text, PLAIN_TEXT)), true);
}

/** The exact counter loads gpt-tokenizer once (lazily); await it before reading input. */
export async function loadTokenCounter(exact: boolean): Promise<TokenCounter> {
  if (!exact) return estimateTokenCounter;
  exactCounter ??= loadExactCounter().catch((error: unknown) => {
    exactCounter = undefined;
    throw error;
  });
  return exactCounter;
}
