// Baseline A for embeddings: the careful streaming script on the official SDK. readline over the file,
// `client.embeddings.create({input: text})` per line (one text per request) through p-limit, each vector
// appended as a JSON line `{"id","embedding"}`. Like the chat script it waits while `concurrency` requests
// are queued, so it never reads ahead without bound. Prints {"records","done","failed"} on stdout.
//
//   node scripts/bench/baseline-embeddings-stream.mjs --input in.jsonl --output out.jsonl --base-url http://127.0.0.1:PORT/v1 [--model bench] [--concurrency 32]
import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import pLimit from 'p-limit';

const { values } = parseArgs({
  options: {
    input: { type: 'string' },
    output: { type: 'string' },
    'base-url': { type: 'string' },
    model: { type: 'string', default: 'bench' },
    concurrency: { type: 'string', default: '32' },
  },
  strict: true,
});
if (values.input === undefined || values.output === undefined || values['base-url'] === undefined) {
  throw new Error('--input, --output and --base-url are required');
}
const concurrency = Number(values.concurrency);

// The bench server ignores the key; the SDK refuses to start without one.
const client = new OpenAI({ apiKey: 'sk-bench-local', baseURL: values['base-url'] });
const limit = pLimit(concurrency);
const output = fs.createWriteStream(values.output);
const inflight = new Set();
const counts = { records: 0, done: 0, failed: 0 };

async function embed(record) {
  try {
    const response = await client.embeddings.create({ model: values.model, input: record.text });
    counts.done++;
    output.write(`${JSON.stringify({ id: record.id, embedding: response.data[0].embedding })}\n`);
  } catch (error) {
    counts.failed++;
    output.write(`${JSON.stringify({ id: record.id, error: String(error) })}\n`);
  }
}

const lines = readline.createInterface({ input: fs.createReadStream(values.input), crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  counts.records++;
  const task = limit(() => embed(JSON.parse(line)));
  inflight.add(task);
  void task.finally(() => inflight.delete(task));
  if (limit.pendingCount >= concurrency) await Promise.race(inflight);
}
await Promise.all(inflight);
await new Promise((resolve, reject) => output.end((error) => (error ? reject(error) : resolve())));
process.stdout.write(`${JSON.stringify(counts)}\n`);
