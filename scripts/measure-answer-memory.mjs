// Peak RSS of one process holding N big answers read through OpenAiProvider (what the commit buffer / packer hold),
// for a given build. Usage: node --expose-gc scripts/measure-answer-memory.mjs <dist dir> <chat|base64|float> [N] [concurrency]
// The mock server runs in a child process so its memory is not counted.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [distDir = 'dist', kind = 'chat', countText = '16', concurrencyText = '4'] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const dist = path.resolve(distDir);

if (process.env.MEASURE_SERVER === '1') {
  const { startMockServer } = await import(path.join(dist, 'provider/mock-server.js'));
  const server = await startMockServer({ port: 0, responseBytes: 6 * 1024 * 1024 });
  process.send({ url: server.url });
} else {
  const vmHwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const child = fork(new URL(import.meta.url).pathname, process.argv.slice(2), { env: { ...process.env, MEASURE_SERVER: '1' } });
  const { url } = await new Promise((resolve) => child.once('message', resolve));
  const { OpenAiProvider } = await import(path.join(dist, 'provider/openai.js'));
  const provider = new OpenAiProvider({ baseUrl: `${url}/v1`, apiKey: undefined, headers: [], timeoutMs: 60_000, maxResponseBytes: 256 * 1024 * 1024, connections: concurrency, useProxyEnv: false });
  const texts = (i) => Array.from({ length: 512 }, (_, t) => `record ${i} text ${t}`);
  const request = (i) => kind === 'chat'
    ? ['/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: `record ${i}` }] }]
    : ['/v1/embeddings', { model: 'e', input: texts(i), dimensions: 3072, encoding_format: kind }];
  const signal = new AbortController().signal;
  await provider.send(...request(-1), signal); // warm up sockets and code
  globalThis.gc?.();
  const live = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
  const liveBefore = live();
  const before = process.memoryUsage().rss;
  const held = [];
  let next = 0;
  let bodyBytes = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const response = await provider.send(...request(i), signal);
      bodyBytes = response.bodyBytes ?? Buffer.byteLength(response.bodyText);
      held.push(response);
    }
  }));
  globalThis.gc?.();
  const liveHeld = live() - liveBefore;
  const after = process.memoryUsage().rss;
  const peak = vmHwm();
  console.log(JSON.stringify({ dist: distDir, kind, count, concurrency, bodyMB: +(bodyBytes / 2 ** 20).toFixed(2), peakAboveStartMB: +((peak - before) / 2 ** 20).toFixed(1), rssAfterGcMB: +((after - before) / 2 ** 20).toFixed(1), liveHeldPerAnswerX: +(liveHeld / (count * bodyBytes)).toFixed(2), peakPerAnswerX: +((peak - before) / (count * bodyBytes)).toFixed(2) }));
  await provider.close();
  child.kill();
}
