// The team's local Files + Batches server for tests: the mock Batch API (src/provider/mock-batches.ts) on its own
// node:http server at 127.0.0.1:0, outliving the CLI runs that use it, with its timings and faults configurable.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MockBatchOptions, MockBatches, type MockBatchStats } from '../../src/provider/mock-batches.js';

export interface BatchServer {
  /** The OpenAI base URL: `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  readonly stats: MockBatchStats;
  /** Requests by `METHOD /path` (ids replaced by :id). */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startBatchServer(options: MockBatchOptions = {}): Promise<BatchServer> {
  const batches = new MockBatches(options);
  const calls = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const route = `${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0]?.replace(/\/(batch|file)-[0-9a-f]+/g, '/:id') ?? ''}`;
    calls.set(route, (calls.get(route) ?? 0) + 1);
    batches.handle(request, response).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stats: batches.stats,
    calls,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => batches.close());
      return closing;
    },
  };
}
