// `memsafe monitor` end to end: the built CLI watches, warns about and terminates real allocating processes.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findAll, parseXml, polylinePointCount } from '../unit/monitor/xml-check.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/memsafe.js');
const ALLOCATOR = path.join(ROOT, 'test/fixtures/allocator.mjs');
const FAKE_SMI = path.join(ROOT, 'test/fixtures/nvidia-smi/fake-nvidia-smi.sh');
const MB = 1024 * 1024;
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-monitor-e2e-'));

type Line = Record<string, unknown> & { type: string };

interface Result {
  readonly code: number | null;
  readonly stderr: string;
  readonly lines: Line[];
  readonly samples: Line[];
  readonly events: Line[];
  readonly summary: Line | undefined;
}

const spawned: ChildProcess[] = [];
afterAll(() => {
  for (const child of spawned) child.kill('SIGKILL');
  fs.rmSync(WORK, { recursive: true, force: true });
});

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<Result> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<Result>((resolve) => {
    child.once('close', (code) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Line);
      resolve({
        code,
        stderr,
        lines,
        samples: lines.filter((line) => line.type === 'sample'),
        events: lines.filter((line) => line.type === 'event'),
        summary: lines.find((line) => line.type === 'summary'),
      });
    });
  });
  return { child, result };
}

const monitor = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => start(['monitor', ...args], env).result;

function allocator(args: readonly string[]): ChildProcess {
  const child = spawn(process.execPath, [ALLOCATOR, ...args], { stdio: 'ignore' });
  spawned.push(child);
  return child;
}

const kinds = (result: Result) => result.events.map((event) => event.kind);
const maxOf = (lines: Line[], key: string) => Math.max(...lines.map((line) => Number(line[key])));

describe.concurrent('memsafe monitor', () => {
  it('warns, then terminates a growing command at --max with --action term (exit 75), and keeps a log and a plot', async () => {
    const log = path.join(WORK, 'guard.jsonl');
    const plot = path.join(WORK, 'guard.svg');
    const result = await monitor([
      '--interval', '100ms', '--warn', '80MB', '--max', '150MB', '--action', 'term', '--log', log, '--plot', plot,
      '--', process.execPath, ALLOCATOR, '--step-mb', '10', '--every-ms', '100',
    ]);
    expect(result.code).toBe(75);
    // (the trend's events, a climb or a leak, come between: only the guard's events are checked in order)
    const guardEvents = result.events.filter((event) => !/^(leak|climb)/.test(String(event.kind)));
    expect(guardEvents.map((event) => event.kind)).toEqual(['start', 'warn', 'max', 'action']);
    const [, warn, max, action] = guardEvents;
    expect(Number(warn?.rss_bytes)).toBeGreaterThanOrEqual(80 * MB);
    expect(Number(max?.rss_bytes)).toBeGreaterThanOrEqual(150 * MB);
    expect(action).toMatchObject({ signal: 'SIGTERM', max_bytes: 150 * MB });
    expect(Number(action?.rss_bytes)).toBeGreaterThanOrEqual(150 * MB);
    expect(result.summary).toMatchObject({ reason: 'guard_terminated', exit_code: 75, warnings: 1, actions: 1 });
    expect(result.stderr).toContain('sent SIGTERM to process group');
    // the log holds exactly what stdout carried
    const logged = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
    expect(logged).toEqual(result.lines);
    // the plot is well-formed and has a point per sample and both thresholds
    const svg = parseXml(fs.readFileSync(plot, 'utf8'));
    const [rss] = findAll(svg, 'polyline');
    expect(rss && polylinePointCount(rss)).toBe(result.samples.length);
    expect(findAll(svg, 'line').filter((line) => line.attributes.get('class') === 'threshold')).toHaveLength(2);
  });

  it('sends SIGKILL after --grace to a process that ignores SIGTERM and stays above --max', async () => {
    const result = await monitor([
      '--interval', '100ms', '--warn', '60MB', '--max', '100MB', '--action', 'term', '--grace', '300ms',
      '--', process.execPath, ALLOCATOR, '--step-mb', '20', '--every-ms', '100', '--max-mb', '200', '--ignore-term',
    ]);
    expect(result.code).toBe(75);
    expect(result.events.filter((event) => event.kind === 'action').map((event) => event.signal)).toEqual(['SIGTERM', 'SIGKILL']);
    expect(result.summary).toMatchObject({ reason: 'guard_terminated', actions: 2 });
  });

  it('sums the process tree with --children, and only the process without', async () => {
    const command = ['--', process.execPath, ALLOCATOR, '--flat-mb', '30', '--children', '2', '--exit-after-ms', '2500'];
    const [tree, single] = await Promise.all([
      monitor(['--interval', '100ms', '--children', ...command]),
      monitor(['--interval', '100ms', ...command]),
    ]);
    expect(tree.code).toBe(0);
    expect(tree.summary).toMatchObject({ reason: 'command_exited' });
    expect(maxOf(tree.samples, 'procs')).toBe(3);
    expect(maxOf(tree.samples, 'rss_bytes')).toBeGreaterThanOrEqual(90 * MB);
    expect(maxOf(single.samples, 'procs')).toBe(1);
    expect(maxOf(single.samples, 'rss_bytes')).toBeLessThan(maxOf(tree.samples, 'rss_bytes'));
  });

  it('says a steady 32 MB/s climb is climbing, with a forecast, well before it reaches --max', async () => {
    // guards: issue 10 defect 7, the trend said "not enough samples yet" all the way to --max at 32 MB/s
    const result = await monitor([
      '--interval', '250ms', '--warn', '300MB', '--max', '400MB', '--action', 'kill',
      '--', process.execPath, ALLOCATOR, '--step-mb', '8', '--every-ms', '250',
    ]);
    expect(result.code).toBe(75);
    const climb = result.events.find((event) => event.kind === 'climbing');
    const max = result.events.find((event) => event.kind === 'max');
    expect(climb).toBeDefined();
    expect(Number(climb?.forecast_ms)).toBeGreaterThan(0);
    const samplesBefore = (event: Line | undefined) => result.samples.filter((sample) => Number(sample.t) <= Number(event?.t)).length;
    expect(samplesBefore(climb)).toBeLessThan(samplesBefore(max) / 2);
    expect(result.summary).toMatchObject({ climbing: true });
    expect(Number(result.summary?.trend_mb_per_min)).toBeGreaterThan(600);
  });

  it('flags the steady allocator as a suspected leak, and not the flat one', async () => {
    const steady = allocator(['--step-mb', '4', '--every-ms', '100']);
    const flat = allocator(['--flat-mb', '60']);
    const watch = (pid: number) => monitor(['--pid', String(pid), '--interval', '50ms', '--duration', '5s', '--max', '4GB']);
    const [rising, level] = await Promise.all([watch(steady.pid as number), watch(flat.pid as number)]);
    expect(rising.summary).toMatchObject({ leak_suspected: true, reason: 'duration', exit_code: 0 });
    expect(Number(rising.summary?.trend_mb_per_min)).toBeGreaterThan(60);
    expect(kinds(rising)).toContain('leak_suspected');
    expect(level.summary).toMatchObject({ leak_suspected: false, reason: 'duration', exit_code: 0 });
    expect(kinds(level)).not.toContain('leak_suspected');
    expect(kinds(level)).not.toContain('climbing');
    steady.kill('SIGKILL');
    flat.kill('SIGKILL');
  });

  it('with --pid ends with the process (exit 0)', async () => {
    const child = allocator(['--flat-mb', '10']);
    const run = start(['monitor', '--pid', String(child.pid), '--interval', '100ms']);
    await new Promise<void>((resolve) => run.child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('"type":"sample"') && resolve()));
    child.kill('SIGKILL');
    const result = await run.result;
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ reason: 'process_ended', exit_code: 0 });
    expect(result.samples.length).toBeGreaterThan(0);
  });

  it('on SIGINT stops watching, still writes --log and --plot, and exits 130', async () => {
    const child = allocator(['--flat-mb', '10']);
    const log = path.join(WORK, 'sigint.jsonl');
    const plot = path.join(WORK, 'sigint.html');
    const run = start(['monitor', '--pid', String(child.pid), '--interval', '100ms', '--log', log, '--plot', plot]);
    await new Promise<void>((resolve) => {
      let seen = 0;
      run.child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString().split('"type":"sample"').length - 1;
        if (seen >= 3) resolve();
      });
    });
    run.child.kill('SIGINT');
    const result = await run.result;
    expect(result.code).toBe(130);
    expect(result.summary).toMatchObject({ reason: 'interrupted', exit_code: 130 });
    expect(fs.readFileSync(log, 'utf8').trim().split('\n').at(-1)).toContain('"type":"summary"');
    const html = fs.readFileSync(plot, 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    const [rss] = findAll(parseXml(html), 'polyline');
    expect(rss && polylinePointCount(rss)).toBe(result.samples.length);
    child.kill('SIGKILL');
  });

  it('forwards SIGTERM to a started command and exits with its code', async () => {
    const run = start(['monitor', '--interval', '100ms', '--', process.execPath, ALLOCATOR, '--flat-mb', '5']);
    await new Promise<void>((resolve) => run.child.stdout?.once('data', () => resolve()));
    run.child.kill('SIGTERM');
    const result = await run.result;
    expect(result.code).toBe(143);
    expect(result.summary).toMatchObject({ reason: 'command_exited', exit_code: 143 });
    expect(kinds(result)).toContain('signal');
  });

  it.each([
    [['-e', 'process.exit(7)'], 7],
    [['-e', "process.kill(process.pid, 'SIGTERM')"], 143],
    [['-e', ''], 0],
  ])("exits with a started command's own code: node %j -> %d", async (args, code) => {
    const result = await monitor(['--interval', '100ms', '--', process.execPath, ...args]);
    expect(result.code).toBe(code);
    expect(result.summary).toMatchObject({ exit_code: code });
  });

  it('with --gpu and no nvidia-smi says so once, on stderr and as an event, and keeps monitoring', async () => {
    const child = allocator(['--flat-mb', '10']);
    const result = await monitor(['--pid', String(child.pid), '--interval', '100ms', '--duration', '600ms', '--gpu'], {
      PATH: path.dirname(process.execPath),
      MEMSAFE_NVIDIA_SMI: '',
    });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/nvidia-smi was not found/g)).toHaveLength(1);
    expect(kinds(result).filter((kind) => kind === 'gpu_unavailable')).toHaveLength(1);
    expect(result.samples.length).toBeGreaterThanOrEqual(3);
    expect(result.samples.every((sample) => !('gpu_bytes' in sample))).toBe(true);
    child.kill('SIGKILL');
  });

  it("with --gpu adds the process's GPU memory as nvidia-smi reports it", async () => {
    fs.chmodSync(FAKE_SMI, 0o755);
    const child = allocator(['--flat-mb', '10']);
    const result = await monitor(['--pid', String(child.pid), '--interval', '100ms', '--duration', '500ms', '--gpu'], {
      MEMSAFE_NVIDIA_SMI: FAKE_SMI,
      FAKE_GPU_PID: String(child.pid),
      FAKE_GPU_MIB: '512',
    });
    expect(result.code).toBe(0);
    expect(result.samples.every((sample) => sample.gpu_bytes === 512 * MB)).toBe(true);
    expect(result.summary).toMatchObject({ peak_gpu_bytes: 512 * MB });
    child.kill('SIGKILL');
  });

  it.each([
    [['--pid', '4194303'], /No running process has pid 4194303/],
    [['--pid', 'abc'], /Expected `--pid` to be an integer >= 1, got `abc`/],
    [['--pid', '1', '--interval', '0'], /Expected `--interval` to be a duration above zero/],
    [['--pid', '1', '--action', 'explode'], /Expected `--action` to be one of none, term, kill, got `explode`/],
    [['--pid', '1', '--warn', '2GB', '--max', '1GB'], /Expected `--warn` \(2 GB\) to be below `--max` \(1 GB\)/],
    [['--pid', '1', '--max', '150%'], /Expected `--max` to be a size/],
    [['--pid', '1', '--plot', 'chart.png'], /Expected `--plot` to be a file name ending in .html or .svg/],
    [['--pid', '1', '--', 'sleep', '1'], /either --pid or a command/],
    [[], /Nothing to watch/],
    [['--', 'memsafe-no-such-command'], /Cannot start `memsafe-no-such-command`: command not found/],
  ])('refuses %j with exit 2 and a clear message', async (args, message) => {
    const result = await monitor(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.lines).toEqual([]);
  });
});
