// A minimal HTTP load generator, used when autocannon is not available: `connections` keep-alive sockets,
// each sending the same POST again as soon as its answer has been read, for `duration-ms`. Runs in its own
// process; prints {"requests","errors","non2xx","durationMs","requestsPerSecond"} on stdout.
//
//   node scripts/bench/load-generator.mjs --url http://127.0.0.1:PORT/v1/chat/completions --body '{...}' [--connections 32] [--duration-ms 10000]
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    body: { type: 'string', default: '{}' },
    connections: { type: 'string', default: '32' },
    'duration-ms': { type: 'string', default: '10000' },
  },
  strict: true,
});
if (values.url === undefined) throw new Error('--url is required');
const url = new URL(values.url);
const connections = Number(values.connections);
const durationMs = Number(values['duration-ms']);
const body = Buffer.from(values.body);

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const headers = { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer sk-bench-local' };
const counts = { requests: 0, errors: 0, non2xx: 0 };
const startedAt = performance.now();
const deadline = startedAt + durationMs;

function once() {
  return new Promise((resolve) => {
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers }, (response) => {
      if (response.statusCode < 200 || response.statusCode > 299) counts.non2xx++;
      response.on('data', () => {});
      response.on('end', () => {
        counts.requests++;
        resolve();
      });
    });
    request.on('error', () => {
      counts.errors++;
      resolve();
    });
    request.end(body);
  });
}

async function connection() {
  while (performance.now() < deadline) await once();
}

await Promise.all(Array.from({ length: connections }, connection));
const elapsedMs = performance.now() - startedAt;
agent.destroy();
process.stdout.write(`${JSON.stringify({ ...counts, durationMs: Math.round(elapsedMs), requestsPerSecond: counts.requests / (elapsedMs / 1000) })}\n`);
