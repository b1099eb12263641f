// Runs one child process and measures it from the outside, the same way for every contender:
// wall time from spawn to exit, peak RSS from /proc/<pid>/status VmHWM (the kernel's high-water mark,
// polled until exit) and CPU time from /proc/<pid>/stat.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

const DEFAULT_POLL_MS = 50;
const KILL_GRACE_MS = 5_000;
const STDOUT_CAP_BYTES = 1024 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;
/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/** VmHWM of a live process in bytes, or undefined once it has exited (or outside Linux). */
export function readPeakRss(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/** User + system CPU time of a process in milliseconds, or undefined when it is gone. */
export function readCpuMs(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields are counted after its closing ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / CLOCK_TICKS : undefined;
}

/**
 * Spawns `node <args>` and resolves when it has exited and its pipes are closed.
 * @param {{args: string[], cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs: number, pollMs?: number, onSpawn?: (child: import('node:child_process').ChildProcess) => void}} options
 * @returns {Promise<{exitCode: number | null, signal: string | null, timedOut: boolean, wallMs: number, peakRssBytes: number | undefined, cpuMs: number | undefined, stdout: string, stderrTail: string, spawnError: string | undefined}>}
 */
export function measureNode(options) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);

    let peakRssBytes;
    let cpuMs;
    const sample = () => {
      if (child.pid === undefined) return;
      // VmHWM only rises, so the last reading before exit is the peak (up to one poll interval late).
      const rss = readPeakRss(child.pid);
      if (rss !== undefined) peakRssBytes = Math.max(peakRssBytes ?? 0, rss);
      const cpu = readCpuMs(child.pid);
      if (cpu !== undefined) cpuMs = Math.max(cpuMs ?? 0, cpu);
    };
    child.once('spawn', sample);
    const poller = setInterval(sample, options.pollMs ?? DEFAULT_POLL_MS);

    const stdoutChunks = [];
    let stdoutBytes = 0;
    child.stdout.on('data', (chunk) => {
      if (stdoutBytes >= STDOUT_CAP_BYTES) return;
      stdoutChunks.push(chunk);
      stdoutBytes += chunk.length;
    });
    let stderrTail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderrTail += chunk;
      if (stderrTail.length > 2 * STDERR_TAIL_BYTES) stderrTail = stderrTail.slice(-STDERR_TAIL_BYTES);
    });

    let timedOut = false;
    let killTimer;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);

    let wallMs;
    child.once('exit', () => {
      wallMs = performance.now() - startedAt;
      clearInterval(poller);
    });
    let spawnError;
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (exitCode, signal) => {
      clearInterval(poller);
      clearTimeout(deadline);
      clearTimeout(killTimer);
      resolve({
        exitCode,
        signal,
        timedOut,
        wallMs: wallMs ?? performance.now() - startedAt,
        peakRssBytes,
        cpuMs,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderrTail: stderrTail.slice(-STDERR_TAIL_BYTES),
        spawnError,
      });
    });
  });
}
