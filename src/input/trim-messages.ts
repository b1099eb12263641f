// --max-context-tokens: drop the oldest turns until the request fits, the way LangChain's
// trim_messages(strategy="last", include_system=True, allow_partial=False) does.
import type { ChatMessage } from './chat-message.js';
import type { TokenCounter } from './tokens.js';

export type TrimResult =
  | { readonly fits: true; readonly messages: readonly ChatMessage[]; readonly trimmed: boolean; readonly tokens: number }
  | { readonly fits: false; readonly tokens: number };

function isSystemLike(message: ChatMessage): boolean {
  return message.role === 'system' || message.role === 'developer';
}

/**
 * Keeps the system (and developer) messages at the start, then the newest whole messages that fit in
 * `maxTokens` together with them; it stops at the first message that does not fit, so the kept turns stay
 * contiguous. One step beyond LangChain: a kept suffix never starts with a `tool` message, whose assistant
 * tool_calls turn was cut (the API refuses such a request). `tokens` counts the framing of TokenCounter.
 * Does not fit when not even the last message fits beside the system messages.
 */
export function trimMessages(messages: readonly ChatMessage[], maxTokens: number, counter: TokenCounter): TrimResult {
  const framing = counter.countMessages([]);
  const costs = messages.map((message) => counter.countMessages([message]) - framing);
  const total = costs.reduce((sum, cost) => sum + cost, framing);
  if (total <= maxTokens) return { fits: true, messages, trimmed: false, tokens: total };

  let systemCount = 0;
  let used = framing;
  while (systemCount < messages.length && isSystemLike(messages[systemCount]!)) {
    used += costs[systemCount]!;
    systemCount += 1;
  }
  let start = messages.length;
  while (start > systemCount && used + costs[start - 1]! <= maxTokens) {
    start -= 1;
    used += costs[start]!;
  }
  while (start < messages.length && messages[start]!.role === 'tool') {
    used -= costs[start]!;
    start += 1;
  }
  if (start === messages.length) return { fits: false, tokens: total };
  return {
    fits: true,
    messages: [...messages.slice(0, systemCount), ...messages.slice(start)],
    trimmed: true,
    tokens: used,
  };
}
