#!/usr/bin/env node
// The sampler's own cost: runs `memsafe monitor` (built CLI) against a sleeping process and measures the
// monitor's CPU (utime + stime from /proc/<pid>/stat) and peak RSS (VmHWM from /proc/<pid>/status).
// Prints a markdown table; with --write-docs it also replaces the table between the
// <!-- bench:monitor:start --> and <!-- bench:monitor:end --> markers of docs/BENCHMARKS.md.
// Linux only (it reads /proc). Needs dist/ (npm run build).
//   node scripts/bench-monitor.mjs [--duration 60s] [--warmup 5s] [--write-docs]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'bin/memsafe.js');

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
}

function seconds(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (match === null) throw new Error(`expected a duration like 60s, got ${text}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2]];
}

const durationS = seconds(option('--duration', '60s'));
const warmupS = seconds(option('--warmup', '5s'));
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const PAGE = 1024;

function readCpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function readStatusKb(pid, key) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith(`${key}:`));
  return line === undefined ? undefined : Number(line.split(/\s+/)[1]);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A target with a few children, so --children has a tree to scan. */
function startTarget() {
  const script = "const {spawn}=require('node:child_process');for(let i=0;i<3;i++)spawn('sleep',['100000'],{stdio:'ignore'});setInterval(()=>{},1e9)";
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore', detached: true });
}

async function measure(name, args, nodeFlags = []) {
  const target = startTarget();
  await sleep(300);
  const monitor = spawn(process.execPath, [...nodeFlags, CLI, 'monitor', '--pid', String(target.pid), '--duration', `${durationS}s`, ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const started = performance.now();
  const exited = new Promise((resolve) => monitor.once('exit', resolve));
  let done = false;
  void exited.then(() => (done = true));
  let warm;
  let last;
  let peakKb = 0;
  while (!done) {
    try {
      const now = (performance.now() - started) / 1000;
      const cpu = readCpuSeconds(monitor.pid);
      peakKb = Math.max(peakKb, readStatusKb(monitor.pid, 'VmHWM') ?? 0);
      const rssKb = readStatusKb(monitor.pid, 'VmRSS');
      if (warm === undefined && now >= warmupS) warm = { now, cpu, rssKb };
      last = { now, cpu, rssKb };
    } catch {
      // it exited between two reads
    }
    await sleep(250);
  }
  process.kill(-target.pid, 'SIGKILL');
  if (warm === undefined || last === undefined) throw new Error(`${name}: the monitor ended before the warm-up was over`);
  const steady = ((last.cpu - warm.cpu) / (last.now - warm.now)) * 100;
  const overall = (last.cpu / last.now) * 100;
  return {
    name,
    args: args.join(' '),
    steady,
    overall,
    peakMb: (peakKb * PAGE) / 1024 / 1024,
    warmMb: (warm.rssKb * PAGE) / 1024 / 1024,
    endMb: (last.rssKb * PAGE) / 1024 / 1024,
    measuredS: last.now - warm.now,
  };
}

const scenarios = [
  ['--interval 1s', ['--interval', '1s']],
  ['--interval 1s --children (4 processes)', ['--interval', '1s', '--children']],
  ['--interval 100ms (for scale)', ['--interval', '100ms']],
  ['node --lite-mode, --interval 1s', ['--interval', '1s'], ['--lite-mode']],
];

const rows = [];
for (const [name, args, nodeFlags] of scenarios) {
  process.stderr.write(`measuring ${name} for ${durationS}s...\n`);
  rows.push(await measure(name, args, nodeFlags));
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const table = [
  `Node ${process.version}, ${os.cpus().length} × ${cpu}, Linux ${os.release()}, load average ${os.loadavg()[0].toFixed(2)}; each run ${durationS}s, CPU measured after a ${warmupS}s warm-up.`,
  '',
  '| `memsafe monitor --pid P` | CPU after warm-up (% of one core) | CPU incl. start-up | peak RSS (VmHWM) | RSS after warm-up | RSS at end |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.name} | ${row.steady.toFixed(2)}% | ${row.overall.toFixed(2)}% | ${row.peakMb.toFixed(1)} MB | ${row.warmMb.toFixed(1)} MB | ${row.endMb.toFixed(1)} MB |`,
  ),
].join('\n');
console.log(table);

if (process.argv.includes('--write-docs')) {
  const file = path.join(ROOT, 'docs/BENCHMARKS.md');
  const start = '<!-- bench:monitor:start -->';
  const end = '<!-- bench:monitor:end -->';
  const text = fs.readFileSync(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${file} has no ${start} ... ${end} block`);
  fs.writeFileSync(file, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  process.stderr.write(`updated ${file}\n`);
}
