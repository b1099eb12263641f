// Generates the benchmark inputs: N simple chat lines `{"id","messages"}` or N embedding lines `{"id","text"}`,
// each prompt or text distinct so that no contender can answer one record from another's cached response
// (memsafe sends each distinct text once). Deterministic: same N, same bytes.
import fs from 'node:fs';
import { once } from 'node:events';

const TOPICS = ['invoices', 'weather reports', 'support tickets', 'release notes', 'recipes', 'sensor logs', 'reviews', 'contracts'];

export function chatLine(index) {
  const id = `bench-${String(index).padStart(7, '0')}`;
  const topic = TOPICS[index % TOPICS.length];
  const content = `Record ${index}: summarise these ${topic} in one short sentence. The quick brown fox jumps over the lazy dog ${index % 997} times.`;
  return `${JSON.stringify({ id, messages: [{ role: 'user', content }] })}\n`;
}

export function textLine(index) {
  const id = `text-${String(index).padStart(7, '0')}`;
  const topic = TOPICS[index % TOPICS.length];
  const text = `Passage ${index} about ${topic}: the quick brown fox jumps over the lazy dog ${index % 997} times.`;
  return `${JSON.stringify({ id, text })}\n`;
}

/** Writes `count` chat lines to `file` with backpressure; resolves with the byte size. */
export function writeChatInput(file, count) {
  return writeLines(file, count, chatLine);
}

/** Writes `count` embedding lines `{"id","text"}` (about 120 bytes each); resolves with the byte size. */
export function writeTextInput(file, count) {
  return writeLines(file, count, textLine);
}

async function writeLines(file, count, lineOf) {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  for (let index = 1; index <= count; index++) {
    const line = lineOf(index);
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
