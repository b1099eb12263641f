// OpenAI chat bodies -> Anthropic Messages requests, and Messages answers -> OpenAI `chat.completion`, so the
// rest of memsafe (checkpoint, exports, cost) reads one shape.
import { ProviderError } from '../errors.js';
import type { TokenUsage } from './provider.js';

type Json = Record<string, unknown>;

export interface MappedAnswer {
  readonly body: Json;
  readonly usage: TokenUsage;
}

const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/**
 * An OpenAI chat body as a Messages request: system messages joined into `system`, `stop` as `stop_sequences`,
 * tools and tool turns as Anthropic's blocks, `max_tokens` filled when the body has none. OpenAI-only sampling
 * fields Anthropic refuses (penalties, logit_bias, seed, response_format, ...) are left out.
 */
export function toAnthropicRequest(body: Json, defaultMaxTokens: number): Json {
  if (typeof body['n'] === 'number' && body['n'] > 1) unsupported('`n` above 1 (Anthropic answers one choice per request)');
  const system: string[] = [];
  const messages: Json[] = [];
  for (const message of Array.isArray(body['messages']) ? body['messages'] : []) {
    if (!isObject(message)) unsupported('a message that is not an object');
    const role = message['role'];
    if (role === 'system' || role === 'developer') system.push(textOf(message['content'], 'system'));
    else if (role === 'tool') messages.push({ role: 'user', content: [toolResult(message)] });
    else if (role === 'assistant') messages.push({ role: 'assistant', content: assistantContent(message) });
    else messages.push({ role: 'user', content: userContent(message['content']) });
  }
  const request: Json = { model: body['model'], max_tokens: body['max_completion_tokens'] ?? body['max_tokens'] ?? defaultMaxTokens, messages };
  if (system.length > 0) request['system'] = system.join('\n\n');
  for (const key of ['temperature', 'top_p', 'top_k', 'thinking']) if (body[key] !== undefined && body[key] !== null) request[key] = body[key];
  const stop = body['stop'] ?? body['stop_sequences'];
  if (typeof stop === 'string') request['stop_sequences'] = [stop];
  else if (Array.isArray(stop) && stop.length > 0) request['stop_sequences'] = stop;
  const userId = isObject(body['metadata']) && typeof body['metadata']['user_id'] === 'string' ? body['metadata']['user_id'] : body['user'];
  if (typeof userId === 'string' && userId !== '') request['metadata'] = { user_id: userId };
  if (Array.isArray(body['tools']) && body['tools'].length > 0) request['tools'] = body['tools'].map(toAnthropicTool);
  const toolChoice = toAnthropicToolChoice(body['tool_choice'], body['parallel_tool_calls']);
  if (toolChoice !== undefined && request['tools'] !== undefined) request['tool_choice'] = toolChoice;
  return request;
}

/** A Messages answer (`{id, model, content:[blocks], stop_reason, usage}`) as OpenAI's chat.completion. */
export function fromAnthropicMessage(answer: Json, request: Json, nowMs = Date.now()): MappedAnswer | undefined {
  const content = answer['content'];
  if (!Array.isArray(content)) return undefined;
  let text = '';
  const toolCalls: Json[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    if (block['type'] === 'text' && typeof block['text'] === 'string') text += block['text'];
    else if (block['type'] === 'tool_use') {
      toolCalls.push({ id: block['id'], type: 'function', function: { name: block['name'], arguments: JSON.stringify(block['input'] ?? {}) } });
    }
  }
  const stopReason = answer['stop_reason'];
  const usage = usageOf(answer['usage']);
  const cached = isObject(answer['usage']) ? answer['usage']['cache_read_input_tokens'] : undefined;
  const body: Json = {
    id: typeof answer['id'] === 'string' ? answer['id'] : `msg-${Math.floor(nowMs)}`,
    object: 'chat.completion',
    created: Math.floor(nowMs / 1000),
    model: typeof answer['model'] === 'string' ? answer['model'] : request['model'],
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: (typeof stopReason === 'string' ? FINISH_REASONS[stopReason] : undefined) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      },
    ],
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      total_tokens: usage.totalTokens,
      ...(typeof cached === 'number' && cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
    },
  };
  return { body, usage };
}

/** `input_tokens` / `output_tokens` as prompt / completion tokens. */
export function usageOf(usage: unknown): TokenUsage {
  const fields = isObject(usage) ? usage : {};
  const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  const promptTokens = count(fields['input_tokens']);
  const completionTokens = count(fields['output_tokens']);
  const totalTokens = promptTokens === null && completionTokens === null ? null : (promptTokens ?? 0) + (completionTokens ?? 0);
  return { promptTokens, completionTokens, totalTokens };
}

function userContent(content: unknown): string | Json[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) unsupported('a user message without content');
  return content.map((part: unknown) => contentBlock(part));
}

function assistantContent(message: Json): string | Json[] {
  const content = message['content'];
  const toolCalls = Array.isArray(message['tool_calls']) ? message['tool_calls'] : [];
  if (typeof content === 'string' && toolCalls.length === 0) return content;
  const blocks: Json[] = [];
  if (typeof content === 'string' && content !== '') blocks.push({ type: 'text', text: content });
  else if (Array.isArray(content)) blocks.push(...content.map((part: unknown) => contentBlock(part)));
  for (const call of toolCalls) {
    const fn = isObject(call) && isObject(call['function']) ? call['function'] : {};
    const args = fn['arguments'];
    blocks.push({ type: 'tool_use', id: isObject(call) ? call['id'] : undefined, name: fn['name'], input: typeof args === 'string' ? parseArguments(args) : (args ?? {}) });
  }
  return blocks;
}

function toolResult(message: Json): Json {
  return { type: 'tool_result', tool_use_id: message['tool_call_id'], content: textOf(message['content'], 'tool') };
}

/** OpenAI content part -> Anthropic block: text as text, image_url as a base64 or URL image source. */
function contentBlock(part: unknown): Json {
  if (!isObject(part)) return unsupported('a content part that is not an object');
  if (part['type'] === 'text') return { type: 'text', text: part['text'] };
  if (part['type'] === 'image_url') {
    const image = part['image_url'];
    const url = typeof image === 'string' ? image : isObject(image) ? image['url'] : undefined;
    if (typeof url !== 'string') return unsupported('an image_url part without a url');
    const inline = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (inline !== null) return { type: 'image', source: { type: 'base64', media_type: inline[1], data: inline[2] } };
    return { type: 'image', source: { type: 'url', url } };
  }
  return unsupported(`a \`${String(part['type'])}\` content part`);
}

/** System and tool contents are text for Anthropic: a string, or the text parts joined. */
function textOf(content: unknown, role: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: unknown) => (isObject(part) && typeof part['text'] === 'string' ? part['text'] : '')).join('');
  return unsupported(`a ${role} message without text content`);
}

function toAnthropicTool(tool: unknown): Json {
  const fn = isObject(tool) && isObject(tool['function']) ? tool['function'] : undefined;
  if (fn === undefined) return unsupported('a tool that is not {type: "function", function: {...}}');
  const out: Json = { name: fn['name'], input_schema: fn['parameters'] ?? { type: 'object', properties: {} } };
  if (typeof fn['description'] === 'string') out['description'] = fn['description'];
  return out;
}

function toAnthropicToolChoice(choice: unknown, parallel: unknown): Json | undefined {
  let out: Json | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') out = { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (isObject(choice) && isObject(choice['function'])) out = { type: 'tool', name: choice['function']['name'] };
  if (parallel === false) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return unsupported('tool call arguments that are not JSON');
  }
}

function unsupported(what: string): never {
  throw new ProviderError(`Anthropic's Messages API cannot take ${what}`, { code: 'unsupported_input', scope: 'record' });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
