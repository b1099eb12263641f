// HttpClient's admission hook over real HTTP: a node:http server that sends big bodies, with content-length or
// chunked, and reports how far its writes got (write() false = the socket buffers are full, 'drain' = room again).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InflightBudget } from '../../../src/admission/inflight-budget.js';
import { responseAdmission } from '../../../src/admission/response-admission.js';
import { ProviderError } from '../../../src/errors.js';
import type { CallContext } from '../../../src/provider/classify.js';
import { HttpClient, joinUrl, type ResponseAdmission } from '../../../src/provider/http-client.js';

const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');
const never = new AbortController().signal;

interface BigBodyServer {
  readonly url: string;
  /** Bytes of the body written so far (of the latest request). */
  written: number;
  /** 'drain' events so far: each one means the client took more of the body off the socket. */
  drains: number;
  close(): Promise<void>;
}

/** Answers every POST with `{"pad":"aaa…"}` of `bodyBytes` bytes, declared or chunked. */
async function startServer(bodyBytes: number, chunked: boolean): Promise<BigBodyServer> {
  const state = { written: 0, drains: 0 };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      state.written = 0;
      response.writeHead(200, { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(bodyBytes) }) });
      const head = Buffer.from('{"pad":"');
      const tail = Buffer.from('"}');
      let left = bodyBytes - head.length - tail.length;
      const write = (chunk: Buffer): boolean => {
        state.written += chunk.length;
        return response.write(chunk);
      };
      const pump = (): void => {
        while (left > 0) {
          const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
          left -= piece.length;
          if (!write(piece)) {
            response.once('drain', () => {
              state.drains++;
              pump();
            });
            return;
          }
        }
        write(tail);
        response.end();
      };
      write(head);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

const servers: BigBodyServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(bodyBytes: number, chunked: boolean, maxResponseBytes = 256 * MB, timeoutMs = 60_000) {
  const server = await startServer(bodyBytes, chunked);
  servers.push(server);
  const client = new HttpClient({ connections: 4, timeoutMs, maxResponseBytes, useProxyEnv: false });
  clients.push(client);
  const target = joinUrl(`${server.url}/v1`, '/chat/completions');
  const context: CallContext = { baseUrl: server.url, url: target.url, secrets: [] };
  const post = (admission?: ResponseAdmission) => client.post(target, '{}', { 'content-type': 'application/json' }, never, context, admission);
  return { server, post };
}

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe.each([
  ['content-length', false],
  ['chunked', true],
])('HttpClient admission with a %s body', (_name, chunked) => {
  it('reading pauses while the hook waits (the server cannot write on) and resumes when it resolves', async () => {
    const total = 48 * MB;
    const { server, post } = await setup(total, chunked);
    const gate = deferred();
    const paused = deferred();
    let read = 0;
    let readAtPause = -1;
    const answer = post({
      onHeaders: () => Promise.resolve(),
      onChunk: (bytes) => {
        read += bytes;
        if (readAtPause >= 0 || read < MB) return undefined;
        readAtPause = read;
        paused.resolve();
        return gate.promise;
      },
    });
    try {
      await paused.promise;
      // The socket buffers fill for a while after the pause; absence cannot be awaited, so wait for a quiet spell.
      let drains = server.drains;
      for (let spell = 0; spell < 100; spell++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (server.drains === drains) break;
        drains = server.drains;
      }
      // guards: the body stream must stay paused while admission waits (not buffer the rest of the body in memory)
      expect(read).toBe(readAtPause);
      expect(server.written).toBeLessThan(total);
      expect(server.written - readAtPause).toBeLessThan(24 * MB);
    } finally {
      gate.resolve();
    }
    const result = await answer;
    expect(server.written).toBe(total);
    expect(result.bodyBytes).toBe(total);
    expect(result.bodyText.length).toBe(total);
    expect(result.bodyText.endsWith('aa"}')).toBe(true);
  });

  it('an answer larger than the whole budget fails with response_too_large (record scope) instead of being read', async () => {
    const { server, post } = await setup(16 * MB, chunked);
    const budget = new InflightBudget({ maxInflightBytes: 4 * MB, maxMemoryBytes: 1024 * MB, marginBytes: 0, readRss: () => 0 });
    const reservation = await budget.reserve(64 * 1024, never);
    const error = await post(responseAdmission(reservation, { ceilingBytes: () => budget.ceilingBytes() })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'response_too_large', scope: 'record' });
    expect((error as ProviderError).message).toContain('in-flight memory budget');
    // It stopped early: far less than the body went over the wire.
    expect(server.written).toBeLessThan(16 * MB);
    reservation.release();
    expect(budget.reservedBytes).toBe(0);
  });

  it('two answers that do not fit together are read one after the other, within the budget', async () => {
    const { post } = await setup(2 * MB, chunked);
    const budget = new InflightBudget({ maxInflightBytes: 8 * MB, maxMemoryBytes: 1024 * MB, marginBytes: 0, readRss: () => 0 });
    const one = async () => {
      const reservation = await budget.reserve(6 * MB, never);
      try {
        return await post(responseAdmission(reservation, { ceilingBytes: () => budget.ceilingBytes() }));
      } finally {
        reservation.release();
      }
    };
    const results = await Promise.all([one(), one(), one()]);
    expect(results.map((result) => result.bodyBytes)).toEqual([2 * MB, 2 * MB, 2 * MB]);
    expect(budget.peakBytes).toBeLessThanOrEqual(8 * MB);
    expect(budget.reservedBytes).toBe(0);
  });
});

describe('HttpClient admission with many chunked answers bigger than their estimates', () => {
  it('they grow as they stream (the youngest give way if all wait, and are sent again) and all finish within the budget', async () => {
    const { post } = await setup(2 * MB, true);
    const budget = new InflightBudget({ maxInflightBytes: 8 * MB, maxMemoryBytes: 1024 * MB, marginBytes: 0, readRss: () => 0 });
    let preempted = 0;
    const one = async (): Promise<number> => {
      for (;;) {
        const reservation = await budget.reserve(64 * 1024, never);
        try {
          const result = await post(responseAdmission(reservation, { holdFactor: 3, ceilingBytes: () => budget.ceilingBytes() }));
          return result.bodyBytes;
        } catch (error) {
          if ((error as ProviderError).code !== 'admission_preempted') throw error;
          expect((error as ProviderError).scope).toBe('retryable');
          preempted++;
        } finally {
          reservation.release();
        }
      }
    };
    const sizes = await Promise.all(Array.from({ length: 12 }, () => one()));
    expect(sizes).toEqual(Array<number>(12).fill(2 * MB));
    expect(budget.peakBytes).toBeLessThanOrEqual(8 * MB);
    expect(budget.reservedBytes).toBe(0);
    expect(budget.waiting).toBe(0);
    // Giving way must not become a livelock: each preemption lets the oldest finish.
    expect(preempted).toBeLessThan(12 * 12);
  });
});

describe('HttpClient admission and the deadline', () => {
  it('a wait for room that outlasts --timeout ends as a timeout and leaves no waiter behind', async () => {
    const { post } = await setup(4 * MB, false, 256 * MB, 300);
    const budget = new InflightBudget({ maxInflightBytes: 16 * MB, maxMemoryBytes: 1024 * MB, marginBytes: 0, readRss: () => 0 });
    const other = await budget.reserve(8 * MB, never);
    const reservation = await budget.reserve(MB, never);
    // guards: the deadline must reach a request parked in the budget, not leave it queued forever
    const error = await post(responseAdmission(reservation, { ceilingBytes: () => budget.ceilingBytes() })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'timeout', scope: 'retryable' });
    expect(budget.waiting).toBe(0);
    reservation.release();
    other.release();
    expect(budget.reservedBytes).toBe(0);
  });
});

describe('HttpClient without a hook', () => {
  it.each([
    ['content-length', false],
    ['chunked', true],
  ])('reads a %s body whole, as before', async (_name, chunked) => {
    const { post } = await setup(3 * MB + 17, chunked);
    const result = await post();
    expect(result.status).toBe(200);
    expect(result.bodyBytes).toBe(3 * MB + 17);
    expect(JSON.parse(result.bodyText)).toMatchObject({ pad: expect.stringMatching(/^a+$/) });
  });

  it('still refuses a body over --max-response-bytes', async () => {
    const { post } = await setup(2 * MB, true, MB);
    await expect(post()).rejects.toMatchObject({ code: 'response_too_large', scope: 'record' });
  });
});
