// Chat messages as input lines carry them: checked before sending, so a bad line fails alone instead of
// costing a request.

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  readonly role: ChatRole;
  /** Text, an array of content parts, or null (only for an assistant message with tool_calls). */
  readonly content?: string | readonly unknown[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly unknown[];
  readonly [field: string]: unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isContentPart(value: unknown): boolean {
  return isPlainObject(value) && typeof value['type'] === 'string';
}

function describeMessageProblem(message: unknown, path: string): string | undefined {
  if (!isPlainObject(message)) return `\`${path}\` must be an object {role, content}`;
  const role = message['role'];
  if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) {
    return `\`${path}.role\` must be one of ${CHAT_ROLES.join(', ')}`;
  }
  const content = message['content'];
  if (typeof content === 'string') return undefined;
  if (Array.isArray(content)) {
    return content.length > 0 && content.every(isContentPart)
      ? undefined
      : `\`${path}.content\` must be a non-empty array of parts like {type, text}`;
  }
  const toolCalls = message['tool_calls'];
  const nullAllowed = role === 'assistant' && Array.isArray(toolCalls) && toolCalls.length > 0;
  if ((content === null || content === undefined) && nullAllowed) return undefined;
  return `\`${path}.content\` must be a string or an array of parts (null only for an assistant message with tool_calls)`;
}

/** What is wrong with `value` as a `messages` array (named `path` in the message), or undefined. */
export function describeMessagesProblem(value: unknown, path: string): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return `\`${path}\` must be a non-empty array of {role, content}`;
  for (const [index, message] of value.entries()) {
    const problem = describeMessageProblem(message, `${path}[${index}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The text a message puts in the prompt: its content (text parts only), and its tool calls as JSON. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isPlainObject(part) && typeof part['text'] === 'string') text += part['text'];
    }
  }
  if (message.tool_calls !== undefined) text += JSON.stringify(message.tool_calls);
  return text;
}
