// Generates the benchmark inputs: N simple chat lines `{"id","messages"}`, each prompt distinct so that no
// contender can answer one record from another's cached response. Deterministic: same N, same bytes.
import fs from 'node:fs';
import { once } from 'node:events';

const TOPICS = ['invoices', 'weather reports', 'support tickets', 'release notes', 'recipes', 'sensor logs', 'reviews', 'contracts'];

export function chatLine(index) {
  const id = `bench-${String(index).padStart(7, '0')}`;
  const topic = TOPICS[index % TOPICS.length];
  const content = `Record ${index}: summarise these ${topic} in one short sentence. The quick brown fox jumps over the lazy dog ${index % 997} times.`;
  return `${JSON.stringify({ id, messages: [{ role: 'user', content }] })}\n`;
}

/** Writes `count` chat lines to `file` with backpressure; resolves with the byte size. */
export async function writeChatInput(file, count) {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  for (let index = 1; index <= count; index++) {
    const line = chatLine(index);
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
