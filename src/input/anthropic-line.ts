// Anthropic's own batch request lines, `{"custom_id": ..., "params": {...}}` (the Message Batches API input):
// their params are checked here and sent to /v1/messages as they are, by --provider anthropic only.
import { isPlainObject } from './chat-message.js';
import type { Mode } from './record.js';

/** What becomes of these lines: sent untranslated (--provider anthropic), or refused as invalid records. */
export type AnthropicLines = 'send' | 'refuse';

export interface AnthropicDraft {
  readonly body: Record<string, unknown>;
  readonly model: unknown;
  /** The texts of `system` and the messages' text blocks, for the token estimate (no --max-context-tokens trimming). */
  readonly texts: readonly string[];
}

export type AnthropicLineResult = { readonly draft: AnthropicDraft } | { readonly problem: string };

const WHAT = 'an Anthropic batch line ({custom_id, params})';

/** `params` and none of the OpenAI batch fields (body, url, method). */
export function isAnthropicBatchLine(record: Record<string, unknown>): boolean {
  return record['params'] !== undefined && record['body'] === undefined && record['url'] === undefined && record['method'] === undefined;
}

export function anthropicBatchDraft(record: Record<string, unknown>, mode: Mode, lines: AnthropicLines): AnthropicLineResult {
  if (mode !== 'cache') return { problem: `${WHAT} is a chat request: run it with --mode cache` };
  if (lines === 'refuse') return { problem: `${WHAT} needs --provider anthropic (its params go to Anthropic's Messages API as they are)` };
  const params = record['params'];
  if (!isPlainObject(params)) return { problem: '`params` must be an object (a Messages API request)' };
  if (params['stream'] === true) return { problem: '`params.stream` must not be true: answers are stored whole' };
  const messages = params['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return { problem: '`params.messages` must be a non-empty array of {role, content}' };
  const texts: string[] = [...blockTexts(params['system'])];
  for (const [index, message] of messages.entries()) {
    const path = `params.messages[${index}]`;
    if (!isPlainObject(message)) return { problem: `\`${path}\` must be an object {role, content}` };
    if (message['role'] !== 'user' && message['role'] !== 'assistant') {
      return { problem: `\`${path}.role\` must be user or assistant (a system prompt goes in \`params.system\`)` };
    }
    const content = message['content'];
    if (typeof content !== 'string' && !(Array.isArray(content) && content.length > 0 && content.every(isPlainObject))) {
      return { problem: `\`${path}.content\` must be a string or a non-empty array of content blocks` };
    }
    texts.push(...blockTexts(content));
  }
  return { draft: { body: params, model: params['model'], texts } };
}

/** A string, or the `text` of each block. */
function blockTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((block: unknown) => (isPlainObject(block) && typeof block['text'] === 'string' ? [block['text']] : []));
}
