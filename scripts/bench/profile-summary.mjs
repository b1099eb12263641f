// Summarises a V8 CPU profile (`node --cpu-prof`) as markdown: self time by area (memsafe's own files by
// folder, each dependency, Node internals, GC, idle), the functions with the most self time, and memsafe's
// functions by inclusive time (time with the function anywhere on the stack). Used for the analysis in
// docs/BENCHMARKS.md.
//
//   node scripts/bench/profile-summary.mjs <file.cpuprofile> [--top 20]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { markdownTable } from './report.mjs';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '20' } }, allowPositionals: true });
if (positionals.length !== 1) throw new Error('usage: profile-summary.mjs <file.cpuprofile> [--top 20]');
const top = Number(values.top);
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/** Where a frame's code lives: memsafe's dist/<folder>, a package under node_modules, node internals, or a V8 pseudo-frame. */
export function areaOf(callFrame) {
  const { url, functionName } = callFrame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(root)') return 'root';
    return `native: ${functionName}`;
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `memsafe ${dist[1]}/`;
  if (/\/dist\/[^/]+\.js$/.test(url)) return 'memsafe (top level)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url;
}

function label(callFrame) {
  const file = callFrame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
  return `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
}

const selfByArea = new Map();
const selfByFunction = new Map();
const inclusiveMemsafe = new Map();
let total = 0;
for (let index = 0; index < profile.samples.length; index++) {
  const delta = (profile.timeDeltas[index + 1] ?? profile.timeDeltas[index] ?? 0) / 1000;
  total += delta;
  const leaf = byId.get(profile.samples[index]);
  const area = areaOf(leaf.callFrame);
  selfByArea.set(area, (selfByArea.get(area) ?? 0) + delta);
  const name = `${label(leaf.callFrame)} [${area}]`;
  selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
  const seen = new Set();
  for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id).callFrame;
    if (!/\/dist\//.test(frame.url)) continue;
    const key = label(frame);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusiveMemsafe.set(key, (inclusiveMemsafe.get(key) ?? 0) + delta);
  }
}

const percent = (ms) => `${((ms / total) * 100).toFixed(1)}%`;
const rows = (map, limit) => [...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([key, ms]) => [key, `${ms.toFixed(0)} ms`, percent(ms)]);
process.stdout.write(`Profile: ${(total / 1000).toFixed(2)} s sampled.\n\n`);
process.stdout.write(`${markdownTable(['area (self time)', 'ms', 'share'], rows(selfByArea, top))}\n\n`);
process.stdout.write(`${markdownTable(['function (self time)', 'ms', 'share'], rows(selfByFunction, top))}\n\n`);
process.stdout.write(`${markdownTable(['memsafe function (inclusive)', 'ms', 'share'], rows(inclusiveMemsafe, top))}\n`);
