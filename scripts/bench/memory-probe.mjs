// Analysis aid, not part of `npm run bench`: preloaded into a memsafe run with
//   MEMSAFE_PROBE_OUT=probe.json node --import ./scripts/bench/memory-probe.mjs bin/memsafe.js ...
// it samples the process every 100 ms and, at each new RSS high, keeps a breakdown of it: the V8 heap by space,
// external and ArrayBuffer memory (Buffers, SQLite is not in here), and the kernel's anonymous vs file-backed
// resident pages; at exit it writes the breakdown at the peak and a short RSS timeline as JSON.
// With MEMSAFE_PROBE_GC=1 it also forces a full GC every 2 s and records the live heap after it (this slows
// the run; it tells garbage that V8 has not collected yet from memory that is really held).
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

const out = process.env.MEMSAFE_PROBE_OUT;
const MB = 1024 * 1024;
const startedAt = Date.now();
let peak = { rss: 0 };
const timeline = [];

function rollup() {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
    return { anonymousMb: field('Anonymous'), rssMb: field('Rss'), fileBackedMb: field('Rss') - field('Anonymous') };
  } catch {
    return undefined;
  }
}

function sample() {
  const usage = process.memoryUsage();
  if (timeline.length < 600) timeline.push([Date.now() - startedAt, Math.round(usage.rss / MB)]);
  if (usage.rss <= peak.rss) return;
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_size / MB * 10) / 10]));
  peak = {
    rss: usage.rss,
    atMs: Date.now() - startedAt,
    rssMb: Math.round(usage.rss / MB * 10) / 10,
    heapTotalMb: Math.round(usage.heapTotal / MB * 10) / 10,
    heapUsedMb: Math.round(usage.heapUsed / MB * 10) / 10,
    externalMb: Math.round(usage.external / MB * 10) / 10,
    arrayBuffersMb: Math.round(usage.arrayBuffers / MB * 10) / 10,
    spacesMb: spaces,
    kernel: rollup(),
  };
}

const timer = setInterval(sample, 100);
timer.unref();
const liveHeap = [];
if (process.env.MEMSAFE_PROBE_GC === '1') {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  setInterval(() => {
    gc();
    liveHeap.push([Date.now() - startedAt, Math.round(process.memoryUsage().heapUsed / MB * 10) / 10]);
  }, 2000).unref();
}
process.on('exit', () => {
  sample();
  if (out !== undefined) fs.writeFileSync(out, JSON.stringify({ peak, timeline, liveHeap }, null, 1));
});
