// The mock Files + Batches API (OpenAI's shapes): batches move validating -> in_progress -> finalizing -> completed
// over configurable time, answer each line with the mock's deterministic answer, and can inject the faults the
// batch pipeline must survive. Used by `--provider mock`, `memsafe mock-server` and test/helpers/batch-server.ts.
import fs from 'node:fs';
import type http from 'node:http';
import { createInterface } from 'node:readline';
import { MockFileStore } from './mock-batch-files.js';
import { drain, json, readJson } from './mock-batch-http.js';
import { mockBatchLine, type LineFaults } from './mock-batch-lines.js';

export interface MockBatchOptions extends LineFaults {
  /** Time spent in each status (ms). */
  readonly validatingMs?: number;
  readonly inProgressMs?: number;
  readonly finalizingMs?: number;
  /** Creation indexes (0-based) of batches that expire partway: the first `expireFraction` of their lines complete. */
  readonly expireBatches?: readonly number[];
  readonly expireFraction?: number;
  /** Share of a cancelled batch's lines that completed (default: the share of its in_progress time it ran). */
  readonly cancelFraction?: number;
  /** This many creates make their batch, then drop the connection without answering. */
  readonly loseCreates?: number;
  /** A validation error for a line (its parsed JSON and 1-based number), or undefined: the batch fails validation. */
  readonly rejectLine?: (line: Record<string, unknown>, lineNumber: number) => string | undefined;
  /** While `open` is false, batches stay in_progress (tests decide when they finish, not the clock). */
  readonly gate?: { open: boolean };
  /** Awaited at each point a client could be killed (the tests' kill -9 hooks). */
  readonly onEvent?: (event: MockBatchEvent) => Promise<void> | void;
}

export type MockBatchEvent = 'upload' | 'create' | 'poll' | 'download';

export interface MockBatchStats {
  creates: number;
  uploads: number;
  /** Successful answers per custom_id, over every batch: 1 each means nothing was processed twice. */
  readonly processed: Map<string, number>;
}

interface MockBatch {
  readonly id: string;
  readonly index: number;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly createdMs: number;
  readonly metadata: Record<string, string>;
  readonly lines: number;
  readonly errors: { code: string; message: string; line: number }[];
  cancelledMs: number | undefined;
  finishing: Promise<void> | undefined;
  final: { status: string; outputFileId: string | null; errorFileId: string | null; completed: number; failed: number } | undefined;
}

export class MockBatches {
  readonly stats: MockBatchStats = { creates: 0, uploads: 0, processed: new Map() };
  private readonly files = new MockFileStore();
  private readonly batches: MockBatch[] = [];
  private readonly v: number;
  private readonly p: number;
  private readonly f: number;

  constructor(private readonly options: MockBatchOptions = {}) {
    this.v = options.validatingMs ?? 50;
    this.p = options.inProgressMs ?? 100;
    this.f = options.finalizingMs ?? 50;
  }

  /** Handles /v1/files* and /v1/batches*; false for any other path. */
  handles(path: string): boolean {
    return path === '/v1/files' || path.startsWith('/v1/files/') || path === '/v1/batches' || path.startsWith('/v1/batches/');
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://mock');
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    let match: RegExpExecArray | null;
    if (route === 'POST /v1/files') return this.upload(request, response);
    if (route === 'POST /v1/batches') return this.create(request, response);
    if (route === 'GET /v1/batches') return this.list(url, response);
    if ((match = /^GET \/v1\/batches\/([^/]+)$/.exec(route)) !== null) return this.retrieve(match[1] ?? '', response);
    if ((match = /^POST \/v1\/batches\/([^/]+)\/cancel$/.exec(route)) !== null) return this.cancel(match[1] ?? '', request, response);
    if ((match = /^GET \/v1\/files\/([^/]+)\/content$/.exec(route)) !== null) return this.content(match[1] ?? '', response);
    drain(request);
    json(response, 404, { error: { message: `No route ${route} on the memsafe mock server`, type: 'invalid_request_error' } });
  }

  close(): void {
    this.files.close();
  }

  private async upload(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const file = await this.files.upload(request, () => this.event('upload'));
    if (typeof file === 'string') return json(response, 400, { error: { message: file, type: 'invalid_request_error' } });
    this.stats.uploads += 1;
    json(response, 200, { id: file.id, object: 'file', bytes: this.files.size(file), created_at: seconds(file.createdAt), filename: file.filename, purpose: file.purpose });
  }

  private async create(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readJson(request);
    const inputFileId = typeof body?.['input_file_id'] === 'string' ? body['input_file_id'] : '';
    const file = this.files.get(inputFileId);
    if (body === undefined || file === undefined) return json(response, 400, { error: { message: `No such input_file_id ${inputFileId}`, type: 'invalid_request_error' } });
    const endpoint = typeof body['endpoint'] === 'string' ? body['endpoint'] : '';
    const { lines, errors } = await this.validate(file.path, file.start, file.end, endpoint);
    const batch: MockBatch = {
      id: this.files.newId('batch'),
      index: this.batches.length,
      endpoint,
      inputFileId,
      createdMs: Date.now(),
      metadata: (body['metadata'] ?? {}) as Record<string, string>,
      lines,
      errors,
      cancelledMs: undefined,
      finishing: undefined,
      final: undefined,
    };
    this.batches.push(batch);
    this.stats.creates += 1;
    await this.event('create');
    if (batch.index < (this.options.loseCreates ?? 0)) {
      response.socket?.destroy(); // the batch exists; its creator never hears of it
      return;
    }
    json(response, 200, await this.describe(batch));
  }

  private async list(url: URL, response: http.ServerResponse): Promise<void> {
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20) || 20);
    const after = url.searchParams.get('after');
    const newestFirst = [...this.batches].reverse();
    const from = after === null ? 0 : newestFirst.findIndex((batch) => batch.id === after) + 1;
    const page = newestFirst.slice(from, from + limit);
    const data = await Promise.all(page.map((batch) => this.describe(batch)));
    json(response, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + limit < newestFirst.length });
  }

  private async retrieve(id: string, response: http.ServerResponse): Promise<void> {
    const batch = this.batches.find((item) => item.id === id);
    if (batch === undefined) return json(response, 404, { error: { message: `No batch ${id}`, type: 'invalid_request_error' } });
    await this.event('poll');
    json(response, 200, await this.describe(batch));
  }

  private async cancel(id: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    drain(request);
    const batch = this.batches.find((item) => item.id === id);
    if (batch === undefined) return json(response, 404, { error: { message: `No batch ${id}`, type: 'invalid_request_error' } });
    if (batch.final === undefined && batch.cancelledMs === undefined) batch.cancelledMs = Date.now();
    json(response, 200, await this.describe(batch));
  }

  private async content(id: string, response: http.ServerResponse): Promise<void> {
    const file = this.files.get(id);
    if (file === undefined) return json(response, 404, { error: { message: `No file ${id}`, type: 'invalid_request_error' } });
    const size = this.files.size(file);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    if (size === 0) return void response.end();
    let sent = 0;
    let paused = false;
    for await (const chunk of this.files.stream(file) as AsyncIterable<Buffer>) {
      if (response.destroyed) return;
      if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
      sent += chunk.length;
      if (!paused && sent >= size / 2) {
        paused = true;
        await this.event('download');
      }
    }
    response.end();
  }

  private async event(event: MockBatchEvent): Promise<void> {
    await this.options.onEvent?.(event);
  }

  /** The batch as OpenAI describes it now; the first look past its end writes its output and error files. */
  private async describe(batch: MockBatch): Promise<Record<string, unknown>> {
    const now = Date.now();
    const status = this.statusAt(batch, now);
    if (['completed', 'expired', 'cancelled', 'failed'].includes(status) && batch.final === undefined) await (batch.finishing ??= this.finish(batch, status));
    const final = batch.final;
    const s = (ms: number): number => seconds(batch.createdMs + ms);
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      errors: batch.errors.length === 0 ? null : { object: 'list', data: batch.errors.map((e) => ({ ...e, param: null })) },
      input_file_id: batch.inputFileId,
      completion_window: '24h',
      status,
      output_file_id: final?.outputFileId ?? null,
      error_file_id: final?.errorFileId ?? null,
      created_at: seconds(batch.createdMs),
      in_progress_at: status === 'validating' || status === 'failed' ? null : s(this.v),
      expires_at: seconds(batch.createdMs + 24 * 3600 * 1000),
      completed_at: status === 'completed' ? s(this.v + this.p + this.f) : null,
      request_counts: { total: batch.lines, completed: final?.completed ?? 0, failed: final?.failed ?? 0 },
      metadata: batch.metadata,
    };
  }

  private statusAt(batch: MockBatch, now: number): string {
    if (batch.final !== undefined) return batch.final.status;
    const age = now - batch.createdMs;
    if (age < this.v) return batch.cancelledMs === undefined ? 'validating' : 'cancelled';
    if (batch.errors.length > 0) return 'failed';
    if (batch.cancelledMs !== undefined) return now - batch.cancelledMs < this.f ? 'cancelling' : 'cancelled';
    if (age < this.v + this.p || this.options.gate?.open === false) return 'in_progress';
    if (this.options.expireBatches?.includes(batch.index) === true) return 'expired';
    return age < this.v + this.p + this.f ? 'finalizing' : 'completed';
  }

  /** Streams the input once: the done part's answers to the output file (shuffled in small windows), the rest to errors. */
  private async finish(batch: MockBatch, status: string): Promise<void> {
    if (status === 'failed') {
      batch.final = { status, outputFileId: null, errorFileId: null, completed: 0, failed: 0 };
      return;
    }
    const file = this.files.get(batch.inputFileId);
    if (file === undefined) throw new Error('input file vanished');
    const share = status === 'expired' ? (this.options.expireFraction ?? 0.5) : status === 'cancelled' ? (this.options.cancelFraction ?? cancelledShare(batch, this.v, this.p)) : 1;
    const doneLines = Math.floor(batch.lines * share);
    const outPath = this.files.tempPath('output');
    const errPath = this.files.tempPath('errors');
    const out = fs.openSync(outPath, 'w');
    const err = fs.openSync(errPath, 'w');
    let window: string[] = [];
    let completed = 0;
    let failed = 0;
    let lineNumber = 0;
    try {
      for await (const text of createInterface({ input: this.files.stream(file), crlfDelay: Infinity })) {
        if (text.trim() === '') continue;
        lineNumber += 1;
        const line = JSON.parse(text) as { custom_id: string; url: string; body: unknown };
        const answer = mockBatchLine(line, batch.id, lineNumber <= doneLines ? undefined : status, this.options);
        if (answer.ok) {
          completed += 1;
          this.stats.processed.set(line.custom_id, (this.stats.processed.get(line.custom_id) ?? 0) + 1);
          window.push(answer.text);
          if (window.length >= 16) window = flushReversed(out, window);
        } else {
          failed += 1;
          fs.writeSync(err, `${answer.text}\n`);
        }
      }
      flushReversed(out, window);
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
    const outputFileId = completed > 0 ? this.files.add(outPath, 'batch_output', `${batch.id}_output.jsonl`).id : null;
    const errorFileId = failed > 0 ? this.files.add(errPath, 'batch_output', `${batch.id}_error.jsonl`).id : null;
    batch.final = { status, outputFileId, errorFileId, completed, failed };
  }

  private async validate(filePath: string, start: number, end: number, endpoint: string): Promise<{ lines: number; errors: MockBatch['errors'] }> {
    const errors: MockBatch['errors'] = [];
    let lines = 0;
    if (end <= start) return { lines, errors: [{ code: 'empty_file', message: 'The batch input file is empty.', line: 1 }] };
    for await (const text of createInterface({ input: fs.createReadStream(filePath, { start, end: end - 1 }), crlfDelay: Infinity })) {
      if (text.trim() === '') continue;
      lines += 1;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        errors.push({ code: 'invalid_json', message: 'This line is not parseable as valid JSON.', line: lines });
        continue;
      }
      if (line['url'] !== endpoint) errors.push({ code: 'mismatched_endpoint', message: `The url of this line does not match the batch's endpoint ${endpoint}.`, line: lines });
      const rejected = this.options.rejectLine?.(line, lines);
      if (rejected !== undefined) errors.push({ code: 'invalid_request', message: rejected, line: lines });
    }
    return { lines, errors };
  }
}

function cancelledShare(batch: MockBatch, v: number, p: number): number {
  const ran = (batch.cancelledMs ?? batch.createdMs) - batch.createdMs - v;
  return Math.max(0, Math.min(1, ran / p));
}

/** Output order is not input order: each window of lines is written backwards. */
function flushReversed(fd: number, window: string[]): string[] {
  if (window.length > 0) fs.writeSync(fd, `${window.reverse().join('\n')}\n`);
  return [];
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
