// memsafe in a real memory cgroup (v1 on machines that only have v1 memory, else v2): the monitor reads the
// cgroup's limit and OOM kills, and a run's --max-memory defaults from the cgroup limit.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/checkpoint.js';
import { BIN, cleanEnv, collect } from '../helpers/cli.js';
import { makeMemoryCgroup, probeMemoryCgroup, type TestMemoryCgroup } from '../helpers/memory-cgroup.js';
import { useTestWork } from '../helpers/test-work.js';

const ALLOCATOR = path.resolve(import.meta.dirname, '../fixtures/allocator.mjs');
const MB = 1024 * 1024;
const probe = probeMemoryCgroup();
const work = useTestWork('memory-cgroup');

const made: TestMemoryCgroup[] = [];
afterEach(async () => {
  for (const cgroup of made.splice(0)) await cgroup.remove();
});

function cgroupOf(limitBytes: number): TestMemoryCgroup {
  const result = makeMemoryCgroup({ limitBytes });
  if (!result.ok) throw new Error(result.reason);
  made.push(result.cgroup);
  return result.cgroup;
}

type Line = Record<string, unknown> & { type: string };
const lines = (stdout: string) => stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Line);

describe.skipIf(!probe.ok)(`memsafe in a real memory cgroup (${probe.ok ? `v${probe.version}` : probe.reason})`, () => {
  it('monitor reads the cgroup limit, usage and its OOM kills', async () => {
    // guards: issue 11, "the monitor's cgroup readings also work on cgroup v1" (it read v2 files only)
    const cgroup = cgroupOf(128 * MB);
    // The shell waits for a line, so the monitor is watching before the allocator climbs; it outlives the kill.
    const script = `read go; "${process.execPath}" "${ALLOCATOR}" --step-mb 16 --every-ms 50 --max-mb 1024; sleep 1`;
    const shell = cgroup.spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
    const monitor = spawn(
      process.execPath,
      [BIN, 'monitor', '--pid', String(shell.pid), '--children', '--interval', '100ms', '--max', '4GB'],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    monitor.stdout?.on('data', function onData(chunk: Buffer) {
      if (!chunk.toString().includes('"type":"sample"')) return;
      monitor.stdout?.off('data', onData);
      shell.stdin?.end('go\n');
    });
    const result = await collect(monitor);
    expect(result.code, result.stderr).toBe(0);
    const records = lines(result.stdout);
    const start = records.find((line) => line.kind === 'start');
    expect(start).toMatchObject({ limit_bytes: 128 * MB, limit_source: 'cgroup' });
    const samples = records.filter((line) => line.type === 'sample');
    expect(samples[0]).toMatchObject({ cgroup_version: cgroup.version, cgroup_limit_bytes: 128 * MB, cgroup_oom_kills: 0 });
    expect(Math.max(...samples.map((sample) => Number(sample.cgroup_current_bytes)))).toBeGreaterThan(64 * MB);
    expect(Math.max(...samples.map((sample) => Number(sample.cgroup_peak_bytes ?? 0)))).toBeLessThanOrEqual(128 * MB);
    expect(records.find((line) => line.kind === 'cgroup_oom_kill')).toMatchObject({ oom_kills: 1 });
    expect(cgroup.oomKills()).toBe(1);
  });

  it('a run defaults --max-memory to 75% of the cgroup limit', async () => {
    const cgroup = cgroupOf(512 * MB);
    const input = path.join(work.dir, 'in.jsonl');
    writePrompts(input, 5);
    const args = ['cache', '--input', input, '--db', path.join(work.dir, 'out.db'), '--provider', 'mock', '--no-progress', '--log-level', 'warn', '--json'];
    const result = await collect(cgroup.spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] }));
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { memory: { max_memory_bytes: number } };
    expect(summary.memory.max_memory_bytes).toBe(384 * MB);
  });
});
