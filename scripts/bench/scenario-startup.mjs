// Scenario "startup" (issue 5): wall time and peak RSS of `memsafe --help` and `memsafe --version` beside
// bare `node -e 0`. These processes live ~100 ms, too short to poll /proc, so the peak comes from the
// kernel's rusage at exit as reported by GNU time (`/usr/bin/time -f %M`); wall time is measured here, from
// spawn to exit, the same way for every command. One unreported warm-up run per command first.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { MEMSAFE_BIN } from './contenders.mjs';
import { measureNode } from './measure.mjs';
import { formatMb, markdownTable, median } from './report.mjs';

const GNU_TIME = '/usr/bin/time';
const FULL_RUNS = 10;
const QUICK_RUNS = 5;
const RUN_TIMEOUT_MS = 30_000;

export const startupScenario = {
  id: 'startup',
  title: 'Start-up: memsafe --help and --version beside node -e 0',
  contenders: ['node', 'version', 'help', 'cache-help'],

  async run(ctx) {
    const runs = ctx.options.startupRuns ?? (ctx.options.quick ? QUICK_RUNS : FULL_RUNS);
    const bin = ctx.options.memsafeBin ?? MEMSAFE_BIN;
    const commands = [
      { id: 'node', label: 'node -e 0', args: ['-e', '0'] },
      { id: 'version', label: 'memsafe --version', args: [bin, '--version'] },
      { id: 'help', label: 'memsafe --help', args: [bin, '--help'] },
      { id: 'cache-help', label: 'memsafe cache --help', args: [bin, 'cache', '--help'] },
    ].filter((command) => ctx.wants(this.id, command.id));
    const withTime = fs.existsSync(GNU_TIME);
    const rows = [];
    let baseline;
    for (const command of commands) {
      ctx.log(`${command.label} · ${runs} runs`);
      const samples = [];
      for (let run = 0; run <= runs; run++) {
        const sample = withTime ? await timeRun(ctx, command.args) : await pollRun(ctx, command.args);
        if (sample.failure !== undefined) {
          samples.splice(0, samples.length, sample);
          break;
        }
        if (run > 0) samples.push(sample); // run 0 warms the file cache
      }
      const failure = samples.find((sample) => sample.failure !== undefined)?.failure;
      const wall = median(samples.map((sample) => sample.wallMs));
      const peak = median(samples.map((sample) => sample.peakRssBytes));
      if (command.id === 'node' && failure === undefined) baseline = { wall, peak };
      rows.push([
        command.label,
        failure === undefined ? wall.toFixed(0) : 'n/a',
        failure === undefined ? Math.min(...samples.map((sample) => sample.wallMs)).toFixed(0) : 'n/a',
        failure === undefined ? formatMb(peak) : 'n/a',
        baseline === undefined || failure !== undefined || command.id === 'node' ? '—' : `+${(wall - baseline.wall).toFixed(0)} ms, +${formatMb(peak - baseline.peak)}`,
        failure ?? '',
      ]);
    }
    const how = withTime
      ? `peak RSS = ru_maxrss at exit (GNU time %M)`
      : `peak RSS = VmHWM polled every 2 ms (no ${GNU_TIME} here; a peak in the last 2 ms can be missed)`;
    const caption = `Median of ${runs} runs after one warm-up run; wall time from spawn to exit, ${how}.`;
    return { markdown: `${caption}\n\n${markdownTable(['command', 'wall ms (median)', 'wall ms (min)', 'peak RSS (median)', 'vs node -e 0', 'note'], rows)}` };
  },
};

/** One run under GNU time: wall time measured here, peak RSS from rusage (kB) written to a file. */
function timeRun(ctx, args) {
  const report = path.join(ctx.tmpDir, 'startup-time.txt');
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', report, process.execPath, ...args], { cwd: ctx.tmpDir, env: ctx.childEnv, stdio: 'ignore' });
    ctx.track(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ failure: `could not start: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      const wallMs = performance.now() - startedAt;
      clearTimeout(timer);
      if (code !== 0) {
        resolve({ failure: `exit ${code ?? signal}` });
        return;
      }
      const kilobytes = Number(fs.readFileSync(report, 'utf8').trim().split('\n').at(-1));
      resolve({ wallMs, peakRssBytes: Number.isFinite(kilobytes) ? kilobytes * 1024 : undefined });
    });
  });
}

async function pollRun(ctx, args) {
  const measured = await measureNode({ args, cwd: ctx.tmpDir, env: ctx.childEnv, timeoutMs: RUN_TIMEOUT_MS, pollMs: 2, onSpawn: ctx.track });
  if (measured.exitCode !== 0) return { failure: `exit ${measured.exitCode ?? measured.signal}` };
  return { wallMs: measured.wallMs, peakRssBytes: measured.peakRssBytes };
}
