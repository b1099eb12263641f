// Anthropic's Message Batches API over undici: create streams its JSON body from the chunk file on disk (never
// whole in memory), list/get/cancel, and results streamed line by line, each translated to OpenAI's output-line
// shape (anthropic-batch-results.ts) so the settle code is the OpenAI path's. Retries 429/5xx, except create.
import fs from 'node:fs';
import type { BatchSnapshot } from '../checkpoint/batch-batches.js';
import { ProviderError } from '../errors.js';
import { LineSplitter, type RawLine } from '../input/line-splitter.js';
import { ANTHROPIC_VERSION } from './anthropic-defaults.js';
import { classifyAnthropicStatus } from './anthropic-errors.js';
import { anthropicBatchSnapshot } from './anthropic-batch-snapshot.js';
import { openAiLineOf } from './anthropic-batch-results.js';
import { classifyTransportError, invalidBody } from './classify.js';
import { BatchHttp } from './batch-http.js';
import { requestHeaders, secretsOf } from './openai.js';
import { fileChunks, uploadBody, type ReleaseBuffers } from './upload-chunks.js';

export interface AnthropicBatchClientOptions {
  /** Server root, as the live provider takes it (a trailing /v1 is dropped). */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoffBaseMs?: number;
  /** Called every few MB of a create body to free the buffers it has sent (upload-chunks.ts). */
  readonly releaseBuffers?: ReleaseBuffers;
}

export interface AnthropicBatchPage {
  readonly data: readonly BatchSnapshot[];
  readonly hasMore: boolean;
  readonly lastId: string | null;
}

const BODY_HEAD = Buffer.from('{"requests":[');
const BODY_TAIL = Buffer.from(']}');
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** Bytes of the create body for a chunk file of `fileBytes` (lines each ending in a newline). */
export function createBodyBytes(fileBytes: number): number {
  return BODY_HEAD.length + Math.max(0, fileBytes - 1) + BODY_TAIL.length;
}

export class AnthropicBatchClient {
  readonly baseUrl: string;
  private readonly http: BatchHttp;
  private readonly releaseBuffers: ReleaseBuffers;

  constructor(options: AnthropicBatchClientOptions) {
    this.releaseBuffers = options.releaseBuffers;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    const defaults: [string, string][] = [['anthropic-version', ANTHROPIC_VERSION]];
    if (options.apiKey !== undefined && options.apiKey !== '') defaults.push(['x-api-key', options.apiKey]);
    const { 'content-type': _json, ...headers } = requestHeaders(undefined, [...defaults, ...options.headers]);
    this.http = new BatchHttp({
      baseUrl: this.baseUrl,
      headers,
      secrets: secretsOf(options.apiKey, options.headers),
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
      classify: classifyAnthropicStatus,
    });
  }

  /**
   * One attempt, never retried here: a create whose answer was lost may have made the batch (the caller looks for
   * it before trying again). The chunk file holds one `{custom_id, params}` per line; the body is those lines
   * joined by commas inside `{"requests":[...]}`, with its Content-Length computed from the file's size.
   */
  async createBatch(file: string, endpoint: string, signal: AbortSignal): Promise<BatchSnapshot> {
    const size = fs.statSync(file).size;
    const body = await this.http.call('POST', '/v1/messages/batches', signal, {
      body: () => uploadBody(requestsBody(file, size, this.releaseBuffers)),
      headers: { 'content-type': 'application/json', 'content-length': String(createBodyBytes(size)) },
    });
    return this.snapshot(body, '/v1/messages/batches', endpoint);
  }

  /** Newest first; `afterId` pages on to older batches. */
  async listBatches(limit: number, afterId: string | undefined, signal: AbortSignal): Promise<AnthropicBatchPage> {
    const query = `?limit=${limit}${afterId === undefined ? '' : `&after_id=${encodeURIComponent(afterId)}`}`;
    const body = await this.http.retrying(signal, () => this.http.call('GET', `/v1/messages/batches${query}`, signal));
    const data = Array.isArray(body['data']) ? (body['data'] as unknown[]).map((item) => anthropicBatchSnapshot(item)).filter((item) => item !== undefined) : [];
    return { data, hasMore: body['has_more'] === true, lastId: typeof body['last_id'] === 'string' ? body['last_id'] : (data.at(-1)?.id ?? null) };
  }

  async getBatch(id: string, signal: AbortSignal): Promise<BatchSnapshot> {
    const where = `/v1/messages/batches/${encodeURIComponent(id)}`;
    return this.snapshot(await this.http.retrying(signal, () => this.http.call('GET', where, signal)), where);
  }

  async cancelBatch(id: string, signal: AbortSignal): Promise<BatchSnapshot> {
    const where = `/v1/messages/batches/${encodeURIComponent(id)}/cancel`;
    return this.snapshot(await this.http.retrying(signal, () => this.http.call('POST', where, signal, { body: () => '', headers: {} })), where);
  }

  /**
   * Streams an ended batch's results (`resultsUrl`), handing OpenAI-shaped lines to `onLines` a page at a time,
   * synchronously (one transaction), so the socket is read only as fast as lines are committed.
   */
  async downloadLines(resultsUrl: string, maxLineBytes: number, pageLines: number, onLines: (lines: string[]) => void, signal: AbortSignal): Promise<void> {
    const where = this.resultsPath(resultsUrl);
    await this.http.retrying(signal, async () => {
      const response = await this.http.open('GET', where, signal);
      const splitter = new LineSplitter(maxLineBytes);
      let page: string[] = [];
      const take = (line: RawLine): void => {
        if ('tooLong' in line) throw invalidBody(200, `line ${line.line} of the batch results is over ${maxLineBytes} bytes`, this.http.context(where));
        const mapped = openAiLineOf(line.bytes.toString('utf8'));
        if (mapped === undefined) return;
        page.push(mapped);
        if (page.length >= pageLines) {
          onLines(page);
          page = [];
        }
      };
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) for (const line of splitter.push(chunk)) take(line);
        for (const line of splitter.end()) take(line);
      } catch (error) {
        response.body.destroy();
        throw error instanceof ProviderError ? error : classifyTransportError(error, this.http.context(where));
      }
      if (page.length > 0) onLines(page);
      return {};
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The key goes only to the base URL's server: a results URL elsewhere is read at the same path on ours. */
  private resultsPath(resultsUrl: string): string {
    const url = URL.parse(resultsUrl, this.baseUrl);
    if (url === null) return resultsUrl;
    const base = new URL(this.baseUrl);
    const basePath = base.pathname.replace(/\/+$/, '');
    if (url.origin === base.origin && basePath !== '' && url.pathname.startsWith(`${basePath}/`)) return `${url.pathname.slice(basePath.length)}${url.search}`;
    return `${url.pathname}${url.search}`;
  }

  private snapshot(body: Record<string, unknown>, where: string, endpoint?: string): BatchSnapshot {
    const snapshot = anthropicBatchSnapshot(body, endpoint);
    if (snapshot === undefined) throw invalidBody(200, 'the answer is not a message batch object', this.http.context(where));
    return snapshot;
  }
}

/** `{"requests":[` + the file's lines, each newline but the last turned into a comma + `]}`, read 256 KB at a time. */
async function* requestsBody(file: string, size: number, release: ReleaseBuffers): AsyncGenerator<Buffer> {
  yield BODY_HEAD;
  let sent = 0;
  const keep = Math.max(0, size - 1);
  for await (const chunk of fileChunks(file, release)) {
    const part = chunk.subarray(0, Math.max(0, Math.min(chunk.length, keep - sent)));
    sent += chunk.length;
    for (let i = 0; i < part.length; i++) if (part[i] === NEWLINE) part[i] = COMMA;
    if (part.length > 0) yield part;
  }
  yield BODY_TAIL;
}
