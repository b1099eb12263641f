// One raw input line -> the exact request it will send (a Job), or an error record that says why not.
// A bad line never stops the run; only a missing model does (MS_NO_MODEL, exit 2), since no line could be sent.
import { UsageError } from '../errors.js';
import { anthropicBatchDraft, type AnthropicLines, isAnthropicBatchLine } from './anthropic-line.js';
import { describeMessagesProblem, isPlainObject, type ChatMessage } from './chat-message.js';
import type { RawLine } from './line-splitter.js';
import type { BadLine, Endpoint, Mode, ParsedLine } from './record.js';
import { requestHash } from './request-hash.js';
import type { TokenCounter } from './tokens.js';
import { trimMessages } from './trim-messages.js';

export interface NormalizeOptions {
  mode: Mode;
  model: string | undefined;
  maxContextTokens: number | undefined;
  /** Field of a simple embeddings line that holds its text ("text" unless configured). */
  textField: string;
  tokenCounter: TokenCounter;
  /** Chat: `max_tokens` of a line that sets neither it nor max_completion_tokens (--max-tokens; 1024 for anthropic). */
  maxTokens?: number | undefined;
  /** `{custom_id, params}` lines: sent to /v1/messages as they are (default), or refused (non-anthropic providers). */
  anthropicLines?: AnthropicLines | undefined;
}

export const MODE_ENDPOINT: Readonly<Record<Mode, Endpoint>> = {
  cache: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
};

const OTHER_MODE: Readonly<Record<Mode, Mode>> = { cache: 'embeddings', embeddings: 'cache' };
const MODE_REQUEST_KIND: Readonly<Record<Mode, string>> = { cache: 'a chat request', embeddings: 'an embeddings request' };
const JSON_REASON_MAX_CHARS = 120;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A line that cannot become a request but keeps the id it named. */
class LineRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function reject(message: string, code = 'invalid_record'): never {
  throw new LineRejected(code, message);
}

function bad(id: string, line: number, code: string, message: string): ParsedLine {
  const record: BadLine = { id, line, code, message };
  return { kind: 'bad', bad: record };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function wrongModeMessage(mode: Mode, what: string): string {
  const other = OTHER_MODE[mode];
  return `${what} is ${MODE_REQUEST_KIND[other]}: run it with --mode ${other}`;
}

/** `custom_id`, else `id` (a number becomes its decimal string); undefined when the line names none. */
function readId(record: Record<string, unknown>): string | undefined {
  for (const key of ['custom_id', 'id']) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    reject(`\`${key}\` must be a non-empty string or a number`);
  }
  return undefined;
}

function optionalModel(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  return reject(`\`${field}\` must be a non-empty string`);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** A request before its model is known: `model` is the line's own, if it named one. */
interface Draft {
  readonly body: Record<string, unknown>;
  readonly model: string | undefined;
  /** Chat requests: the messages to count and trim. */
  readonly messages?: readonly ChatMessage[];
  /** Embeddings requests: the texts to count. */
  readonly texts?: readonly string[];
  /** Where it goes, when not the mode's endpoint (Anthropic batch lines: /v1/messages). */
  readonly endpoint?: Endpoint;
}

function batchDraft(record: Record<string, unknown>, mode: Mode): Draft {
  if (record['method'] !== 'POST') reject('`method` must be "POST"');
  const url = record['url'];
  if (url === MODE_ENDPOINT[OTHER_MODE[mode]]) reject(wrongModeMessage(mode, `\`url\` ${url}`));
  if (url !== MODE_ENDPOINT[mode]) reject(`\`url\` must be "${MODE_ENDPOINT[mode]}" with --mode ${mode}`);
  const body = record['body'];
  if (!isPlainObject(body)) return reject('`body` must be an object');
  const model = optionalModel(body['model'], 'body.model');
  if (mode === 'cache') {
    const problem = describeMessagesProblem(body['messages'], 'body.messages');
    if (problem !== undefined) reject(problem);
    return { body, model, messages: body['messages'] as ChatMessage[] };
  }
  const input = body['input'];
  if (isNonEmptyString(input)) return { body, model, texts: [input] };
  if (Array.isArray(input) && input.length > 0 && input.every(isNonEmptyString)) return { body, model, texts: input };
  return reject('`body.input` must be a non-empty string or a non-empty array of strings');
}

function simpleChatDraft(record: Record<string, unknown>, textField: string): Draft {
  const model = optionalModel(record['model'], 'model');
  const { prompt, system, messages } = record;
  if (prompt !== undefined && messages !== undefined) reject('use either `prompt` or `messages`, not both');
  if (prompt !== undefined) {
    if (typeof prompt !== 'string') reject('`prompt` must be a string');
    if (system !== undefined && typeof system !== 'string') reject('`system` must be a string');
    const built: ChatMessage[] = [];
    if (system !== undefined) built.push({ role: 'system', content: system });
    built.push({ role: 'user', content: prompt });
    return { body: { messages: built }, model, messages: built };
  }
  if (messages !== undefined) {
    if (system !== undefined) reject('`system` goes with `prompt`; put a system message in `messages` instead');
    const problem = describeMessagesProblem(messages, 'messages');
    if (problem !== undefined) reject(problem);
    return { body: { messages }, model, messages: messages as ChatMessage[] };
  }
  if (record[textField] !== undefined) reject(wrongModeMessage('cache', `a line with \`${textField}\``));
  return reject('a chat line needs `prompt` (a string) or `messages` (an array of {role, content})');
}

function simpleEmbeddingsDraft(record: Record<string, unknown>, textField: string): Draft {
  const model = optionalModel(record['model'], 'model');
  const text = record[textField];
  if (text === undefined && (record['prompt'] !== undefined || record['messages'] !== undefined)) {
    reject(wrongModeMessage('embeddings', 'a line with `prompt` or `messages`'));
  }
  if (!isNonEmptyString(text)) return reject(`\`${textField}\` must be a non-empty string`);
  return { body: { input: text }, model, texts: [text] };
}

function isBatchLine(record: Record<string, unknown>): boolean {
  return record['body'] !== undefined || record['url'] !== undefined || record['method'] !== undefined;
}

function draftFor(record: Record<string, unknown>, options: NormalizeOptions): Draft {
  if (isAnthropicBatchLine(record)) {
    const result = anthropicBatchDraft(record, options.mode, options.anthropicLines ?? 'send');
    if ('problem' in result) return reject(result.problem);
    return { ...result.draft, model: optionalModel(result.draft.model, 'params.model'), endpoint: '/v1/messages' };
  }
  if (isBatchLine(record)) return batchDraft(record, options.mode);
  return options.mode === 'cache'
    ? simpleChatDraft(record, options.textField)
    : simpleEmbeddingsDraft(record, options.textField);
}

function resolveModel(draft: Draft, options: NormalizeOptions, line: number): string {
  const model = draft.model ?? options.model;
  if (model !== undefined) return model;
  throw new UsageError(`line ${line} names no model and no default model is set`, {
    code: 'MS_NO_MODEL',
    hint: 'pass --model NAME or set MEMSAFE_MODEL',
  });
}

/** The body to send (model filled, messages trimmed) and its prompt tokens. */
function finishRequest(draft: Draft, model: string, options: NormalizeOptions) {
  const withModel = draft.body['model'] === undefined ? { model, ...draft.body } : draft.body;
  const body = options.maxTokens !== undefined && options.mode === 'cache' && withModel['max_tokens'] === undefined && withModel['max_completion_tokens'] === undefined
    ? { ...withModel, max_tokens: options.maxTokens }
    : withModel;
  const counter = options.tokenCounter;
  if (draft.messages === undefined) {
    const texts = draft.texts ?? [];
    return { body, trimmed: false, tokens: texts.reduce((sum, text) => sum + counter.countText(text), 0) };
  }
  if (options.maxContextTokens === undefined) {
    return { body, trimmed: false, tokens: counter.countMessages(draft.messages) };
  }
  const result = trimMessages(draft.messages, options.maxContextTokens, counter);
  if (!result.fits) {
    reject(
      `\`messages\` need ${result.tokens} tokens; not even the last message fits in --max-context-tokens ${options.maxContextTokens}`,
      'context_too_long',
    );
  }
  return {
    body: result.trimmed ? { ...body, messages: result.messages } : body,
    trimmed: result.trimmed,
    tokens: result.tokens,
  };
}

function shortJsonReason(error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return reason.length > JSON_REASON_MAX_CHARS ? `${reason.slice(0, JSON_REASON_MAX_CHARS)}…` : reason;
}

export function normalizeLine(raw: RawLine, options: NormalizeOptions): ParsedLine {
  const line = raw.line;
  const lineId = `line-${line}`;
  if ('tooLong' in raw) {
    return bad(lineId, line, 'line_too_long', `line ${line} is too long (${raw.length} bytes): raise --max-line-bytes to read it`);
  }
  let text: string;
  try {
    text = utf8.decode(raw.bytes);
  } catch {
    return bad(lineId, line, 'invalid_utf8', 'the line is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return bad(lineId, line, 'invalid_json', `invalid JSON: ${shortJsonReason(error)}`);
  }
  if (!isPlainObject(value)) return bad(lineId, line, 'not_an_object', `a line must be a JSON object, got ${describeType(value)}`);

  let id = lineId;
  try {
    id = readId(value) ?? lineId;
    const draft = draftFor(value, options);
    const request = finishRequest(draft, resolveModel(draft, options, line), options);
    const endpoint = draft.endpoint ?? MODE_ENDPOINT[options.mode];
    let hash: string;
    try {
      hash = requestHash(endpoint, request.body);
    } catch (error) {
      if (error instanceof RangeError) reject('the request is nested too deeply');
      throw error;
    }
    return {
      kind: 'job',
      job: {
        id,
        line,
        endpoint,
        body: request.body,
        hash,
        trimmed: request.trimmed,
        estimatedTokens: request.tokens,
        bytes: raw.bytes.length,
      },
    };
  } catch (error) {
    if (error instanceof LineRejected) return bad(id, line, error.code, error.message);
    // Checks, token counts and the hash walk the request recursively: a pathologically deep line fails alone.
    if (error instanceof RangeError) {
      const reason = /call stack/i.test(error.message) ? 'the request is nested too deeply' : `the line cannot be processed (${error.message})`;
      return bad(id, line, 'invalid_record', reason);
    }
    throw error;
  }
}
