// In-process servers for the rate-limit scenario: an OpenAI-style bucket server that sends x-ratelimit-* on every
// answer and 429 + retry-after-ms beyond it, and a server that sheds a random share with 429 + Retry-After: 1.
// Both answer after `latencyMs` with a small chat completion. Counts accepted and refused.
import { once } from 'node:events';
import http from 'node:http';

const ANSWER = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 0, model: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const REFUSAL = JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } });

function goDuration(ms) {
  return ms < 1000 ? `${Math.ceil(ms)}ms` : `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

/** `{url, counts, close()}`: kind 'headers' ({ratePerSecond}) or 'shed' ({share}). */
export async function startRateLimitServer({ kind, ratePerSecond = 300, share = 0.05, latencyMs = 20, seed = 1 }) {
  const counts = { accepted: 0, refused: 0 };
  let level = ratePerSecond;
  let updatedAt = Date.now();
  let state = seed >>> 0;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const now = Date.now();
      level = Math.min(ratePerSecond, level + ((now - updatedAt) * ratePerSecond) / 1000);
      updatedAt = now;
      let headers = {};
      let refused = false;
      if (kind === 'headers') {
        refused = level < 1;
        if (!refused) level -= 1;
        const resetMs = ((ratePerSecond - level) * 1000) / ratePerSecond;
        headers = { 'x-ratelimit-limit-requests': String(ratePerSecond), 'x-ratelimit-remaining-requests': String(Math.max(0, Math.floor(level))), 'x-ratelimit-reset-requests': goDuration(resetMs) };
        if (refused) headers['retry-after-ms'] = String(Math.ceil(((1 - level) * 1000) / ratePerSecond));
      } else {
        refused = random() < share;
        if (refused) headers = { 'retry-after': '1' };
      }
      if (refused) {
        counts.refused++;
        response.writeHead(429, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REFUSAL), ...headers });
        response.end(REFUSAL);
        return;
      }
      counts.accepted++;
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER), ...headers });
        response.end(ANSWER);
      }, latencyMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
