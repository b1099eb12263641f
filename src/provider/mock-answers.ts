// The mock server's answers, as pure functions of the request: the same body always gets the same answer.
// Shared by the mock server and the tests' fault server.
import { createHash } from 'node:crypto';

export const MOCK_DEFAULT_MODEL = 'mock-small';
export const MOCK_EMBEDDING_DIMENSIONS = 16;
const MAX_DIMENSIONS = 4096;
/** A fixed timestamp: the answer must depend on the request alone. */
const CREATED_SECONDS = 1_700_000_000;
const CREATED_AT = new Date(CREATED_SECONDS * 1000).toISOString();

export interface MockAnswer {
  readonly status: number;
  /** JSON text. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface MockAnswerOptions {
  /** Pad each chat answer's content to about this many bytes. */
  readonly responseBytes?: number | undefined;
}

type Json = Record<string, unknown>;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The answer to `method path` with `bodyText`; 404 for a route the mock does not serve. */
export function mockAnswer(method: string, path: string, bodyText: string, options: MockAnswerOptions = {}): MockAnswer {
  const route = `${method} ${path.split('?')[0] ?? path}`;
  if (route === 'GET /v1/models') return json(200, modelList());
  if (route === 'GET /api/tags') return json(200, { models: [MOCK_DEFAULT_MODEL].map((name) => ({ name, model: name, modified_at: CREATED_AT, size: 0, digest: 'mock' })) });
  const handler = POST_ROUTES[route];
  if (handler === undefined) return errorAnswer(404, `No route ${route} on the memsafe mock server`);
  const hash = sha256Hex(bodyText);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return errorAnswer(400, 'Request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return errorAnswer(400, 'Request body must be a JSON object');
  const answer = handler(body as Json, hash, options);
  return typeof answer === 'string' ? errorAnswer(400, answer) : { ...answer, headers: { 'x-request-id': `req_${hash.slice(0, 24)}` } };
}

type Handler = (body: Json, hash: string, options: MockAnswerOptions) => { status: number; body: string } | string;

const POST_ROUTES: Record<string, Handler> = {
  'POST /v1/chat/completions': (body, hash, options) => {
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) return '`messages` must be a non-empty array';
    const content = replyContent(hash, lastUserText(messages), options.responseBytes);
    return json(200, {
      id: `chatcmpl-mock-${hash.slice(0, 24)}`,
      object: 'chat.completion',
      created: CREATED_SECONDS,
      model: modelOf(body),
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage: chatUsage(messages, content),
      system_fingerprint: 'memsafe-mock',
    });
  },
  'POST /v1/embeddings': (body) => {
    const texts = embeddingTexts(body['input']);
    if (texts === undefined) return '`input` must be a non-empty string or array';
    const encoding = body['encoding_format'] ?? 'float';
    if (encoding !== 'float' && encoding !== 'base64') return '`encoding_format` must be "float" or "base64"';
    const dimensions = dimensionsOf(body);
    const vectorOf = (text: string) => (encoding === 'base64' ? base64Vector(mockEmbedding(text, dimensions)) : mockEmbedding(text, dimensions));
    const data = texts.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) }));
    // Reversed on purpose: OpenAI does not promise order, so clients must match vectors by `index`.
    if (data.length > 1) data.reverse();
    const tokens = texts.reduce((sum, text) => sum + approxTokens(text), 0);
    return json(200, { object: 'list', data, model: modelOf(body), usage: { prompt_tokens: tokens, total_tokens: tokens } });
  },
  'POST /api/chat': (body, hash, options) => {
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) return '`messages` must be a non-empty array';
    const content = replyContent(hash, lastUserText(messages), options.responseBytes);
    const usage = chatUsage(messages, content);
    return json(200, {
      model: modelOf(body), created_at: CREATED_AT, message: { role: 'assistant', content }, done: true, done_reason: 'stop',
      total_duration: 0, load_duration: 0, prompt_eval_count: usage.prompt_tokens, eval_count: usage.completion_tokens,
    });
  },
  'POST /api/embed': (body) => {
    const texts = embeddingTexts(body['input']);
    if (texts === undefined) return '`input` must be a non-empty string or array';
    const dimensions = dimensionsOf(body);
    const tokens = texts.reduce((sum, text) => sum + approxTokens(text), 0);
    return json(200, {
      model: modelOf(body), embeddings: texts.map((text) => mockEmbedding(text, dimensions)),
      total_duration: 0, load_duration: 0, prompt_eval_count: tokens,
    });
  },
  'POST /api/generate': (body, hash, options) => {
    const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
    // `{model, keep_alive: 0}` with no prompt is how Ollama clients unload a model.
    const unload = prompt === '' && body['keep_alive'] === 0;
    return json(200, {
      model: modelOf(body), created_at: CREATED_AT, response: prompt === '' ? '' : replyContent(hash, prompt, options.responseBytes),
      done: true, done_reason: unload ? 'unload' : 'stop',
    });
  },
};

/** `mock reply <8 hex of sha256(body)>: <first 60 chars of the last user message>`, padded to `responseBytes`. */
export function replyContent(hash: string, lastUser: string, responseBytes: number | undefined): string {
  const reply = `mock reply ${hash.slice(0, 8)}: ${lastUser.slice(0, 60)}`;
  if (responseBytes === undefined || responseBytes <= reply.length) return reply;
  return `${reply} ${hash.repeat(Math.ceil(responseBytes / hash.length)).slice(0, responseBytes - reply.length - 1)}`;
}

/** A unit vector from a PRNG seeded with sha256(text): the same text always gets the same vector. */
export function mockEmbedding(text: string, dimensions = MOCK_EMBEDDING_DIMENSIONS): number[] {
  const seed = createHash('sha256').update(text).digest();
  const next = sfc32(seed.readUInt32LE(0), seed.readUInt32LE(4), seed.readUInt32LE(8), seed.readUInt32LE(12));
  const vector = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => Math.round((value / norm) * 1e6) / 1e6);
}

/** What OpenAI sends for `encoding_format: "base64"`: the vector's little-endian float32 bytes, whatever this host's order. */
export function base64Vector(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}

/** Whether attempt `attempt` (0, 1, ...) of the body with `hash` is answered with a 500 under `--fail-rate`. */
export function failsOnAttempt(hash: string, attempt: number, failRate: number): boolean {
  if (failRate <= 0) return false;
  if (failRate >= 1) return true;
  const draw = createHash('sha256').update(`${hash}:${attempt}`).digest().readUInt32LE(0) / 2 ** 32;
  return draw < failRate;
}

export function errorAnswer(status: number, message: string, type = status >= 500 ? 'server_error' : 'invalid_request_error'): MockAnswer {
  return { status, body: JSON.stringify({ error: { message, type, param: null, code: null } }), headers: {} };
}

/** Small fast PRNG (Chris Doty-Humphrey's sfc32) so vectors do not depend on Math.random. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function json(status: number, body: unknown): { status: number; body: string; headers: Record<string, string> } {
  return { status, body: JSON.stringify(body), headers: {} };
}

function modelList(): Json {
  return { object: 'list', data: [MOCK_DEFAULT_MODEL].map((id) => ({ id, object: 'model', created: CREATED_SECONDS, owned_by: 'memsafe' })) };
}

function modelOf(body: Json): string {
  return typeof body['model'] === 'string' && body['model'] !== '' ? body['model'] : MOCK_DEFAULT_MODEL;
}

function dimensionsOf(body: Json): number {
  const value = body['dimensions'];
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSIONS ? value : MOCK_EMBEDDING_DIMENSIONS;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as Json)['text'] === 'string' ? ((part as Json)['text'] as string) : '')).join('');
}

function lastUserText(messages: unknown[]): string {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as Json | null;
    if (typeof message === 'object' && message !== null && message['role'] === 'user') return textOf(message['content']);
  }
  return '';
}

function chatUsage(messages: unknown[], content: string): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const promptChars = messages.reduce<number>((sum, message) => sum + (typeof message === 'object' && message !== null ? textOf((message as Json)['content']).length : 0), 0);
  const prompt = Math.max(1, Math.ceil(promptChars / 4));
  const completion = approxTokens(content);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Texts of an embeddings `input`: a string, strings, or token arrays (hashed as their JSON). */
function embeddingTexts(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((entry) => typeof entry === 'number')) return [JSON.stringify(input)];
  if (input.every((entry) => typeof entry === 'string' || Array.isArray(entry))) {
    return input.map((entry: unknown) => (typeof entry === 'string' ? entry : JSON.stringify(entry)));
  }
  return undefined;
}
