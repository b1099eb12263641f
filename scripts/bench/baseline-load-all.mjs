// Baseline B: the quick script. Loads the whole file (readFileSync + split + JSON.parse of every line),
// sends it in chunks of `concurrency` with Promise.all and the official SDK, keeps every result in memory,
// and writes them all at the end. Prints {"records","done","failed"} on stdout.
//
//   node scripts/bench/baseline-load-all.mjs --input in.jsonl --output out.jsonl --base-url http://127.0.0.1:PORT/v1 [--model bench] [--concurrency 32]
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
  },
  strict: true,
});
if (values.input === undefined || values.output === undefined || values['base-url'] === undefined) {
  throw new Error('--input, --output and --base-url are required');
}
const concurrency = Number(values.concurrency);

const client = new OpenAI({ apiKey: 'sk-bench-local', baseURL: values['base-url'] });
const records = fs
  .readFileSync(values.input, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

const results = [];
let failed = 0;
for (let start = 0; start < records.length; start += concurrency) {
  const chunk = records.slice(start, start + concurrency);
  const answers = await Promise.all(
    chunk.map((record) =>
      client.chat.completions
        .create({ model: values.model, messages: record.messages })
        .then((response) => ({ id: record.id, response }))
        .catch((error) => {
          failed++;
          return { id: record.id, error: String(error) };
        }),
    ),
  );
  results.push(...answers);
}

// Written in slices: one string of every result could pass V8's maximum string length at 500k records.
const fd = fs.openSync(values.output, 'w');
const SLICE = 10_000;
for (let start = 0; start < results.length; start += SLICE) {
  fs.writeSync(fd, results.slice(start, start + SLICE).map((result) => `${JSON.stringify(result)}\n`).join(''));
}
fs.closeSync(fd);
process.stdout.write(`${JSON.stringify({ records: records.length, done: results.length - failed, failed })}\n`);
