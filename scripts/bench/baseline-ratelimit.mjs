// The anchors of the rate-limit scenario (issue 12), each a script a user would write with the official SDK:
//   --mode sdk:   script A, the SDK's own per-request retries (it honours Retry-After / retry-after-ms), p-limit;
//                 a record that runs out of retries fails.
//   --mode pause: the cookbook's parallel processor: no SDK retries; after any 429 every worker pauses
//                 --pause-ms (the cookbook waits 15 s), then the refused request goes again.
// Prints {"records","done","failed","requests","refused"} on stdout at the end.
//
//   node scripts/bench/baseline-ratelimit.mjs --mode sdk|pause --input in.jsonl --output out.jsonl --base-url URL [--concurrency 64] [--pause-ms 15000]
import fs from 'node:fs';
import readline from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import pLimit from 'p-limit';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'sdk' },
    input: { type: 'string' },
    output: { type: 'string' },
    'base-url': { type: 'string' },
    model: { type: 'string', default: 'bench' },
    concurrency: { type: 'string', default: '64' },
    'pause-ms': { type: 'string', default: '15000' },
    'max-retries': { type: 'string', default: '5' },
  },
  strict: true,
});
if (values.input === undefined || values.output === undefined || values['base-url'] === undefined) throw new Error('--input, --output and --base-url are required');
const pauseMode = values.mode === 'pause';
const concurrency = Number(values.concurrency);
const pauseMs = Number(values['pause-ms']);
const counts = { records: 0, done: 0, failed: 0, requests: 0, refused: 0 };

/** Counts every request and every 429 the SDK sees, its own retries included. */
const countingFetch = async (url, init) => {
  counts.requests++;
  const response = await fetch(url, init);
  if (response.status === 429) counts.refused++;
  return response;
};
const client = new OpenAI({ apiKey: 'sk-bench-local', baseURL: values['base-url'], maxRetries: pauseMode ? 0 : Number(values['max-retries']), fetch: countingFetch });
const limit = pLimit(concurrency);
const output = fs.createWriteStream(values.output);
const inflight = new Set();
let pausedUntil = 0;

async function complete(record) {
  for (;;) {
    if (pauseMode && Date.now() < pausedUntil) await delay(pausedUntil - Date.now());
    try {
      const response = await client.chat.completions.create({ model: values.model, messages: record.messages });
      counts.done++;
      output.write(`${JSON.stringify({ id: record.id, response })}\n`);
      return;
    } catch (error) {
      if (pauseMode && error?.status === 429) {
        pausedUntil = Math.max(pausedUntil, Date.now() + pauseMs);
        continue;
      }
      counts.failed++;
      output.write(`${JSON.stringify({ id: record.id, error: String(error) })}\n`);
      return;
    }
  }
}

const lines = readline.createInterface({ input: fs.createReadStream(values.input), crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  counts.records++;
  const task = limit(() => complete(JSON.parse(line)));
  inflight.add(task);
  void task.finally(() => inflight.delete(task));
  if (limit.pendingCount >= concurrency) await Promise.race(inflight);
}
await Promise.all(inflight);
await new Promise((resolve, reject) => output.end((error) => (error ? reject(error) : resolve())));
process.stdout.write(`${JSON.stringify(counts)}\n`);
