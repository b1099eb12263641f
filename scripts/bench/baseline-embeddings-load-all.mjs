// Baseline B for embeddings: the quick script. Loads the whole file, packs `batch-size` texts per request
// (`client.embeddings.create({input: [...]})`, the official SDK), sends `concurrency` requests at a time with
// Promise.all, keeps every vector in memory and writes `{"id","embedding"}` lines at the end.
// Prints {"records","done","failed"} on stdout.
//
//   node scripts/bench/baseline-embeddings-load-all.mjs --input in.jsonl --output out.jsonl --base-url http://127.0.0.1:PORT/v1 [--model bench] [--concurrency 32] [--batch-size 64]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';

const { values } = parseArgs({
  options: {
    input: { type: 'string' },
    output: { type: 'string' },
    'base-url': { type: 'string' },
    model: { type: 'string', default: 'bench' },
    concurrency: { type: 'string', default: '32' },
    'batch-size': { type: 'string', default: '64' },
  },
  strict: true,
});
if (values.input === undefined || values.output === undefined || values['base-url'] === undefined) {
  throw new Error('--input, --output and --base-url are required');
}
const concurrency = Number(values.concurrency);
const batchSize = Number(values['batch-size']);

const client = new OpenAI({ apiKey: 'sk-bench-local', baseURL: values['base-url'] });
const records = fs
  .readFileSync(values.input, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

const packs = [];
for (let start = 0; start < records.length; start += batchSize) packs.push(records.slice(start, start + batchSize));

const results = [];
let failed = 0;
for (let start = 0; start < packs.length; start += concurrency) {
  const answers = await Promise.all(
    packs.slice(start, start + concurrency).map((pack) =>
      client.embeddings
        .create({ model: values.model, input: pack.map((record) => record.text) })
        .then((response) => pack.map((record, index) => ({ id: record.id, embedding: response.data[index].embedding })))
        .catch((error) => {
          failed += pack.length;
          return pack.map((record) => ({ id: record.id, error: String(error) }));
        }),
    ),
  );
  for (const answer of answers) results.push(...answer);
}

// Written in slices: one string of every result could pass V8's maximum string length.
const fd = fs.openSync(values.output, 'w');
const SLICE = 10_000;
for (let start = 0; start < results.length; start += SLICE) {
  fs.writeSync(fd, results.slice(start, start + SLICE).map((result) => `${JSON.stringify(result)}\n`).join(''));
}
fs.closeSync(fd);
process.stdout.write(`${JSON.stringify({ records: records.length, done: results.length - failed, failed })}\n`);
