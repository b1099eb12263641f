// OpenAI-compatible server for the benchmarks (zero latency unless --latency-ms), run as its own process so
// its memory and CPU are not counted as the runner's. Prints {"port":N} on stdout once listening; stops by
// itself on SIGTERM, SIGINT, after --max-lifetime-ms, and (with --watch-stdin) when its parent dies.
// GET /_bench/stats answers its counters (requests, in flight now and at most since the last
// GET /_bench/reset-peak).
//
// --big-every N with --big-response-bytes B: every Nth chat answer carries B bytes of content (the big-answers
// scenario); --chunked sends every answer without content-length, in 64 KB writes.
//
//   node scripts/bench/server.mjs [--port 0] [--response-bytes 16] [--dimensions 8] [--latency-ms 0] [--max-lifetime-ms 7200000] [--watch-stdin]
//                                 [--big-every 0] [--big-response-bytes 0] [--chunked]
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'response-bytes': { type: 'string', default: '16' },
    dimensions: { type: 'string', default: '8' },
    'latency-ms': { type: 'string', default: '0' },
    'max-lifetime-ms': { type: 'string', default: String(2 * 60 * 60 * 1000) },
    'watch-stdin': { type: 'boolean', default: false },
    'big-every': { type: 'string', default: '0' },
    'big-response-bytes': { type: 'string', default: '0' },
    chunked: { type: 'boolean', default: false },
  },
  strict: true,
});

const port = Number(values.port);
const responseBytes = Number(values['response-bytes']);
const dimensions = Number(values.dimensions);
const latencyMs = Number(values['latency-ms']);
const maxLifetimeMs = Number(values['max-lifetime-ms']);
const bigEvery = Number(values['big-every']);
const bigResponseBytes = Number(values['big-response-bytes']);
const chunked = values.chunked;
for (const [name, value] of [['port', port], ['response-bytes', responseBytes], ['dimensions', dimensions], ['latency-ms', latencyMs], ['max-lifetime-ms', maxLifetimeMs], ['big-every', bigEvery], ['big-response-bytes', bigResponseBytes]]) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be an integer >= 0, got ${value}`);
}

/** Embedding requests are capped so a wrong client cannot make the server buffer without limit. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

const stats = { requests: 0, chat: 0, embeddings: 0, texts: 0, errors: 0, bytesIn: 0, inflight: 0, maxInflight: 0 };

/** A chat answer of `contentBytes` bytes of content. */
function chatAnswer(contentBytes) {
  const tokens = Math.max(1, Math.ceil(contentBytes / 4));
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1700000000,
      model: 'bench',
      choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(contentBytes) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: tokens, total_tokens: 12 + tokens },
    }),
  );
}
// Fixed answers, built once: the server does no per-request work beyond reading the body.
const chatBody = chatAnswer(responseBytes);
const bigChatBody = bigEvery > 0 ? chatAnswer(bigResponseBytes) : chatBody;
const embedding = Array.from({ length: dimensions }, (_, index) => Number(((index + 1) / (dimensions + 1)).toFixed(6)));
// What the real API sends for encoding_format "base64" (the official SDK asks for it): little-endian float32.
const embeddingBase64 = Buffer.from(new Float32Array(embedding).buffer).toString('base64');

/** Answers a counted request, after --latency-ms. */
function send(res, status, body) {
  if (latencyMs > 0) {
    setTimeout(write, latencyMs, res, status, body);
  } else {
    write(res, status, body);
  }
}

const CHUNK_BYTES = 64 * 1024;

function write(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(chunked ? {} : { 'content-length': body.length }),
    'x-request-id': `req-bench-${stats.requests}`,
  });
  if (!chunked) {
    res.end(body);
    return;
  }
  let at = 0;
  const more = () => {
    while (at < body.length && !res.destroyed) {
      const slice = body.subarray(at, at + CHUNK_BYTES);
      at += slice.length;
      if (!res.write(slice)) return void res.once('drain', more);
    }
    if (!res.destroyed) res.end();
  };
  more();
}

function embeddingsBody(requestText) {
  const request = JSON.parse(requestText);
  const inputs = Array.isArray(request.input) ? request.input : [request.input];
  stats.texts += inputs.length;
  const vector = request.encoding_format === 'base64' ? embeddingBase64 : embedding;
  return Buffer.from(
    JSON.stringify({
      object: 'list',
      model: request.model ?? 'bench',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: vector })),
      usage: { prompt_tokens: inputs.length * 8, total_tokens: inputs.length * 8 },
    }),
  );
}

function handle(req, res) {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/_bench/')) {
    if (url === '/_bench/reset-peak') stats.maxInflight = stats.inflight;
    write(res, 200, Buffer.from(JSON.stringify(stats)));
    return;
  }
  stats.requests++;
  stats.inflight++;
  stats.maxInflight = Math.max(stats.maxInflight, stats.inflight);
  // 'close' comes once the answer is written or the client went away, so the count cannot drift.
  res.once('close', () => stats.inflight--);
  const isChat = req.method === 'POST' && url.endsWith('/chat/completions');
  const isEmbeddings = req.method === 'POST' && url.endsWith('/embeddings');
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    stats.bytesIn += chunk.length;
    // Chat answers do not depend on the request, so only embedding bodies are kept (to count inputs).
    if (isEmbeddings && size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    try {
      if (isChat) {
        stats.chat++;
        send(res, 200, bigEvery > 0 && stats.chat % bigEvery === 0 ? bigChatBody : chatBody);
      } else if (isEmbeddings && size <= MAX_REQUEST_BYTES) {
        stats.embeddings++;
        send(res, 200, embeddingsBody(Buffer.concat(chunks).toString('utf8')));
      } else {
        stats.errors++;
        send(res, isEmbeddings ? 413 : 404, Buffer.from(JSON.stringify({ error: { message: `no route for ${req.method} ${url}` } })));
      }
    } catch (error) {
      stats.errors++;
      send(res, 400, Buffer.from(JSON.stringify({ error: { message: String(error) } })));
    }
  });
}

const server = http.createServer({ keepAlive: true }, handle);
// Clients keep sockets open between batches; the default 5 s would close idle ones mid-run.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

let lifetime;
function stop() {
  clearTimeout(lifetime);
  server.close();
  server.closeAllConnections();
}

lifetime = setTimeout(stop, maxLifetimeMs);
lifetime.unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['watch-stdin']) {
  // The parent holds our stdin open; when it dies, stdin ends and we go too.
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
server.on('close', () => {
  if (values['watch-stdin']) process.stdin.destroy();
});
