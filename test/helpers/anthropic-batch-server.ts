// The team's local Message Batches server for tests (Anthropic's shapes) on node:http at 127.0.0.1:0: batches
// move in_progress -> ended over time (or when a gate opens), deterministic answers, and the faults the batch
// pipeline must survive: errored lines (retryable api_error/overloaded_error, or invalid_request_error for good),
// expiry partway, lost create answers (the batch is made, the connection dropped), and kill points.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnthropicBatchServerOptions {
  /** Time a batch stays in_progress (ms). */
  readonly inProgressMs?: number;
  /** While `open` is false, batches stay in_progress. */
  readonly gate?: { open: boolean };
  /** Share of lines errored with api_error/overloaded_error (retryable), drawn per batch and custom_id. */
  readonly failShare?: number;
  /** Share of lines errored with invalid_request_error (for good), drawn per custom_id. */
  readonly badShare?: number;
  /** Creation indexes (0-based) of batches whose lines after the first `expireFraction` expire. */
  readonly expireBatches?: readonly number[];
  readonly expireFraction?: number;
  /** This many creates make their batch, then drop the connection without answering. */
  readonly loseCreates?: number;
  /** Or: the creation indexes (0-based) whose create answers are lost. */
  readonly loseCreateAt?: readonly number[];
  readonly seed?: number;
  /** Awaited at each point a client could be killed (the tests' kill -9 hooks). */
  readonly onEvent?: (event: 'create' | 'poll' | 'download') => Promise<void> | void;
}

export interface AnthropicBatchStats {
  creates: number;
  /** Content-Length of each create, and whether any create came chunked (not streamed with a length). */
  readonly createLengths: number[];
  chunkedCreates: number;
  /** The params of every request created, in order (tests check the mapping). */
  readonly params: Record<string, unknown>[];
  /** Succeeded answers per custom_id over every batch: 1 each means nothing was processed twice. */
  readonly processed: Map<string, number>;
}

export interface AnthropicBatchServer {
  /** The server root, as --base-url takes it for --provider anthropic. */
  readonly baseUrl: string;
  readonly stats: AnthropicBatchStats;
  /** Requests by `METHOD /path` (ids replaced by :id). */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

interface Request {
  readonly custom_id: string;
  readonly params: { model?: string; messages?: { content?: unknown }[] };
}

interface Batch {
  readonly id: string;
  readonly index: number;
  readonly createdMs: number;
  readonly requests: readonly Request[];
  cancelMs: number | undefined;
  results: string[] | undefined;
  counts: { succeeded: number; errored: number; canceled: number; expired: number } | undefined;
}

function draw(...parts: readonly (string | number)[]): number {
  return Number.parseInt(createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12), 16) / 2 ** 48;
}

function lastText(params: Request['params']): string {
  const content = params.messages?.at(-1)?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((block: { text?: unknown }) => (typeof block.text === 'string' ? block.text : '')).join('') : '';
}

export async function startAnthropicBatchServer(options: AnthropicBatchServerOptions = {}): Promise<AnthropicBatchServer> {
  const stats: AnthropicBatchStats = { creates: 0, createLengths: [], chunkedCreates: 0, params: [], processed: new Map() };
  const calls = new Map<string, number>();
  const batches: Batch[] = [];
  const inProgressMs = options.inProgressMs ?? 50;
  const seed = options.seed ?? 0;

  const ended = (batch: Batch, now: number): boolean =>
    batch.cancelMs !== undefined ? now >= batch.cancelMs + 10 : (options.gate?.open ?? true) && now >= batch.createdMs + inProgressMs;

  /** The batch's results, decided once when it ends. */
  const finish = (batch: Batch): void => {
    if (batch.results !== undefined) return;
    const counts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    const expires = options.expireBatches?.includes(batch.index) === true;
    const cut = Math.floor(batch.requests.length * (options.expireFraction ?? 0.5));
    const results = batch.requests.map((request, i) => {
      const line = (result: object): string => JSON.stringify({ custom_id: request.custom_id, result });
      if (batch.cancelMs !== undefined && i >= cut) return counts.canceled++, line({ type: 'canceled' });
      if (expires && i >= cut) return counts.expired++, line({ type: 'expired' });
      if (draw(seed, 'bad', request.custom_id) < (options.badShare ?? 0)) {
        counts.errored++;
        return line({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'test: this request is refused' } } });
      }
      const fail = draw(seed, 'fail', batch.id, request.custom_id);
      if (fail < (options.failShare ?? 0)) {
        counts.errored++;
        const type = fail < (options.failShare ?? 0) / 2 ? 'api_error' : 'overloaded_error';
        return line({ type: 'errored', error: { type: 'error', error: { type, message: `test: ${type}` } } });
      }
      counts.succeeded++;
      stats.processed.set(request.custom_id, (stats.processed.get(request.custom_id) ?? 0) + 1);
      const text = lastText(request.params);
      const message = {
        id: `msg_${createHash('sha256').update(`${batch.id}:${request.custom_id}`).digest('hex').slice(0, 24)}`,
        type: 'message', role: 'assistant', model: request.params.model ?? 'unknown',
        content: [{ type: 'text', text: `answer to: ${text}` }],
        stop_reason: 'end_turn', usage: { input_tokens: text.length, output_tokens: 3 },
      };
      return line({ type: 'succeeded', message });
    });
    // Output order is not input order: collecting must match by custom_id.
    batch.results = results.reverse();
    batch.counts = counts;
  };

  const view = (batch: Batch, base: string): object => {
    const now = Date.now();
    const done = ended(batch, now);
    if (done) finish(batch);
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
    const counts = done && batch.counts !== undefined ? { processing: 0, ...batch.counts } : { processing: batch.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    return {
      id: batch.id, type: 'message_batch',
      processing_status: done ? 'ended' : batch.cancelMs !== undefined ? 'canceling' : 'in_progress',
      request_counts: counts,
      created_at: iso(batch.createdMs), expires_at: iso(batch.createdMs + 86_400_000), ended_at: done ? iso(now) : null,
      cancel_initiated_at: iso(batch.cancelMs), archived_at: null,
      results_url: done ? `${base}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  const send = (response: http.ServerResponse, status: number, body: object): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse, base: string): Promise<void> => {
    const url = new URL(request.url ?? '/', base);
    const parts = url.pathname.split('/').filter((part) => part !== '');
    if (request.headers['x-api-key'] === undefined || request.headers['anthropic-version'] !== '2023-06-01') {
      request.resume();
      return send(response, 401, { type: 'error', error: { type: 'authentication_error', message: 'x-api-key and anthropic-version are required' } });
    }
    if (parts[0] !== 'v1' || parts[1] !== 'messages' || parts[2] !== 'batches') return send(response, 404, { type: 'error', error: { type: 'not_found_error', message: 'no such route' } });
    const batch = parts[3] === undefined ? undefined : batches.find((item) => item.id === parts[3]);
    if (request.method === 'POST' && parts.length === 3) {
      if (request.headers['content-length'] === undefined) stats.chunkedCreates += 1;
      else stats.createLengths.push(Number(request.headers['content-length']));
      const chunks: Buffer[] = [];
      for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { requests: Request[] };
      for (const item of body.requests) stats.params.push(item.params);
      await options.onEvent?.('create');
      const made: Batch = { id: `msgbatch_${String(batches.length + 1).padStart(6, '0')}${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 8)}`, index: batches.length, createdMs: Date.now(), requests: body.requests, cancelMs: undefined, results: undefined, counts: undefined };
      batches.push(made);
      stats.creates += 1;
      if (made.index < (options.loseCreates ?? 0) || options.loseCreateAt?.includes(made.index) === true) return void response.socket?.destroy();
      return send(response, 200, view(made, base));
    }
    request.resume();
    if (request.method === 'GET' && parts.length === 3) {
      const limit = Number(url.searchParams.get('limit') ?? '20');
      const newestFirst = [...batches].reverse();
      const afterId = url.searchParams.get('after_id');
      const start = afterId === null ? 0 : newestFirst.findIndex((item) => item.id === afterId) + 1;
      const page = newestFirst.slice(start, start + limit);
      return send(response, 200, { data: page.map((item) => view(item, base)), has_more: start + limit < newestFirst.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null });
    }
    if (batch === undefined) return send(response, 404, { type: 'error', error: { type: 'not_found_error', message: `no batch ${parts[3] ?? ''}` } });
    if (request.method === 'GET' && parts.length === 4) {
      await options.onEvent?.('poll');
      return send(response, 200, view(batch, base));
    }
    if (request.method === 'POST' && parts[4] === 'cancel') {
      if (!ended(batch, Date.now())) batch.cancelMs ??= Date.now();
      return send(response, 200, view(batch, base));
    }
    if (request.method === 'GET' && parts[4] === 'results') {
      if (!ended(batch, Date.now())) return send(response, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'the batch is still processing' } });
      finish(batch);
      await options.onEvent?.('download');
      response.writeHead(200, { 'content-type': 'application/binary' });
      for (const line of batch.results ?? []) if (!response.write(`${line}\n`)) await once(response, 'drain');
      return void response.end();
    }
    return send(response, 404, { type: 'error', error: { type: 'not_found_error', message: 'no such route' } });
  };

  const server = http.createServer((request, response) => {
    const route = `${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0]?.replace(/\/msgbatch_[0-9a-f]+/g, '/:id') ?? ''}`;
    calls.set(route, (calls.get(route) ?? 0) + 1);
    handle(request, response, base).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;
  return {
    baseUrl: base,
    stats,
    calls,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
