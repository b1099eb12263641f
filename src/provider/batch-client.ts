// OpenAI's Files + Batches API over undici: streamed multipart uploads, batch create/list/get/cancel, and file
// downloads streamed line by line. Retries 429/5xx/resets with full-jitter backoff, except create (see createBatch).
import fs from 'node:fs';
import path from 'node:path';
import type { BatchSnapshot } from '../checkpoint/batch-batches.js';
import { ProviderError } from '../errors.js';
import { LineSplitter, type RawLine } from '../input/line-splitter.js';
import { classifyStatus, classifyTransportError, invalidBody } from './classify.js';
import { BatchHttp } from './batch-http.js';
import { requestHeaders, secretsOf } from './openai.js';
import { batchSnapshot } from './batch-snapshot.js';
import { fileChunks, uploadBody, type ReleaseBuffers } from './upload-chunks.js';

export interface BatchClientOptions {
  /** With the version path: `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  /** Deadline of one call's headers and of each gap in a body. */
  readonly timeoutMs: number;
  /** Attempts after the first, for calls that are safe to repeat. */
  readonly maxRetries: number;
  readonly backoffBaseMs?: number;
  readonly random?: () => number;
  /** Called every few MB of an upload to free the buffers it has sent (upload-chunks.ts). */
  readonly releaseBuffers?: ReleaseBuffers;
}

export interface BatchList {
  readonly data: readonly BatchSnapshot[];
  readonly hasMore: boolean;
  readonly lastId: string | null;
}


export class BatchClient {
  readonly baseUrl: string;
  private readonly http: BatchHttp;
  private readonly releaseBuffers: ReleaseBuffers;

  constructor(options: BatchClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.releaseBuffers = options.releaseBuffers;
    const { 'content-type': _json, ...headers } = requestHeaders(options.apiKey, options.headers);
    this.http = new BatchHttp({
      baseUrl: this.baseUrl,
      headers,
      secrets: secretsOf(options.apiKey, options.headers),
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
      ...(options.random === undefined ? {} : { random: options.random }),
      classify: classifyStatus,
    });
  }

  /** Uploads a JSONL file (purpose "batch") as a streamed multipart body with a computed Content-Length. */
  async uploadFile(file: string, signal: AbortSignal): Promise<string> {
    const boundary = `memsafe-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: application/jsonl\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const size = fs.statSync(file).size;
    const body = await this.http.retrying(signal, () =>
      this.http.call('POST', '/files', signal, {
        body: () => uploadBody(multipart(head, file, tail, this.releaseBuffers)),
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
      }),
    );
    const id = body['id'];
    if (typeof id !== 'string') throw invalidBody(200, 'the file upload answer has no id', this.http.context('/files'));
    return id;
  }

  /**
   * One attempt, never retried here: a create whose answer was lost may have made the batch, so the caller lists
   * the batches (findBatch) before it tries again.
   */
  async createBatch(request: { inputFileId: string; endpoint: string; metadata: Record<string, string> }, signal: AbortSignal): Promise<BatchSnapshot> {
    const body = JSON.stringify({ input_file_id: request.inputFileId, endpoint: request.endpoint, completion_window: '24h', metadata: request.metadata });
    return this.snapshot(await this.http.call('POST', '/batches', signal, { body: () => body, headers: { 'content-type': 'application/json' } }), '/batches');
  }

  async listBatches(limit: number, after: string | undefined, signal: AbortSignal): Promise<BatchList> {
    const query = `?limit=${limit}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
    const body = await this.http.retrying(signal, () => this.http.call('GET', `/batches${query}`, signal));
    const data = Array.isArray(body['data']) ? (body['data'] as unknown[]).map((item) => batchSnapshot(item)).filter((item) => item !== undefined) : [];
    return { data, hasMore: body['has_more'] === true, lastId: typeof body['last_id'] === 'string' ? body['last_id'] : (data.at(-1)?.id ?? null) };
  }

  /** The newest batch whose metadata has every entry of `metadata`, looking back no further than `notBeforeMs`. */
  async findBatch(metadata: Readonly<Record<string, string>>, notBeforeMs: number, signal: AbortSignal): Promise<BatchSnapshot | undefined> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listBatches(100, after, signal);
      for (const batch of page.data) {
        if (Object.entries(metadata).every(([key, value]) => batch.metadata[key] === value)) return batch;
      }
      const oldest = page.data.at(-1)?.createdAt;
      if (!page.hasMore || page.lastId === null || (oldest !== undefined && oldest !== null && oldest < notBeforeMs)) return undefined;
      after = page.lastId;
    }
  }

  async getBatch(id: string, signal: AbortSignal): Promise<BatchSnapshot> {
    const where = `/batches/${encodeURIComponent(id)}`;
    return this.snapshot(await this.http.retrying(signal, () => this.http.call('GET', where, signal)), where);
  }

  async cancelBatch(id: string, signal: AbortSignal): Promise<BatchSnapshot> {
    const where = `/batches/${encodeURIComponent(id)}/cancel`;
    return this.snapshot(await this.http.retrying(signal, () => this.http.call('POST', where, signal, { body: () => '', headers: {} })), where);
  }

  /**
   * Streams a file's content, handing complete lines (each at most `maxLineBytes`) to `onLines` a page at a time;
   * `onLines` runs synchronously (one transaction), so the socket is read only as fast as lines are committed.
   */
  async downloadLines(fileId: string, maxLineBytes: number, pageLines: number, onLines: (lines: string[]) => void, signal: AbortSignal): Promise<void> {
    const where = `/files/${encodeURIComponent(fileId)}/content`;
    await this.http.retrying(signal, async () => {
      const response = await this.http.open('GET', where, signal);
      const splitter = new LineSplitter(maxLineBytes);
      let page: string[] = [];
      const take = (line: RawLine): void => {
        if ('tooLong' in line) throw invalidBody(200, `line ${line.line} of file ${fileId} is over ${maxLineBytes} bytes`, this.http.context(where));
        page.push(line.bytes.toString('utf8'));
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

  private snapshot(body: Record<string, unknown>, where: string): BatchSnapshot {
    const snapshot = batchSnapshot(body);
    if (snapshot === undefined) throw invalidBody(200, 'the answer is not a batch object', this.http.context(where));
    return snapshot;
  }
}

async function* multipart(head: Buffer, file: string, tail: Buffer, release: ReleaseBuffers): AsyncGenerator<Buffer> {
  yield head;
  yield* fileChunks(file, release);
  yield tail;
}
