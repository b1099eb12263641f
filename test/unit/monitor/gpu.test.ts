import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuBytesOf, parseComputeApps, readGpuUsage } from '../../../src/monitor/gpu.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/nvidia-smi');
const MIB = 1024 * 1024;
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

// Samples of `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`
// (one line per process and GPU, MiB; [N/A] where the driver cannot tell, e.g. in some containers).
describe('parseComputeApps', () => {
  it('sums a process over the GPUs it uses', () => {
    const usage = parseComputeApps(fixture('compute-apps.csv'));
    expect(usage.get(2841)).toBe(12_288 * MIB);
    expect(usage.get(3112)).toBe(512 * MIB);
    expect(usage.size).toBe(2);
  });

  it('keeps [N/A] as unknown, not as zero', () => {
    const usage = parseComputeApps(fixture('compute-apps-na.csv'));
    expect(usage.get(2841)).toBeNull();
    expect(usage.has(3112)).toBe(true);
  });

  it('reads an empty answer (no process on any GPU) as no usage', () => {
    expect(parseComputeApps(fixture('compute-apps-empty.csv')).size).toBe(0);
    expect(parseComputeApps('\n').size).toBe(0);
  });

  it.each([
    ['a known value after [N/A] for the same pid', '7, [N/A]\n7, 100\n', 100 * MIB],
    ['[N/A] after a known value', '7, 100\n7, [N/A]\n', 100 * MIB],
    ['CRLF line ends and spaces', '7 ,  100 \r\n', 100 * MIB],
    ['a fractional MiB', '7, 1.5\n', 1.5 * MIB],
  ])('handles %s', (_name, text, bytes) => {
    expect(parseComputeApps(text).get(7)).toBe(bytes);
  });

  it.each([
    'No running processes found',
    'pid, used_gpu_memory [MiB]',
    '7, 100, extra',
    'x, 100',
    '7, lots',
  ])('skips a line that is not "pid, MiB": %j', (line) => {
    expect(parseComputeApps(`${line}\n`).size).toBe(0);
  });
});

describe('gpuBytesOf', () => {
  const usage = new Map<number, number | null>([
    [1, 100],
    [2, 50],
    [3, null],
  ]);
  it.each([
    [[1, 2], 150],
    [[1, 3], 100],
    [[3], null],
    [[9], 0],
    [[], 0],
  ] as const)('of %j is %j', (pids, bytes) => {
    expect(gpuBytesOf(pids, usage)).toBe(bytes);
  });
});

describe('readGpuUsage', () => {
  const fake = path.join(FIXTURES, 'fake-nvidia-smi.sh');

  it('says the binary is missing rather than failing', async () => {
    expect(await readGpuUsage('/nonexistent/nvidia-smi', 2000)).toEqual({ kind: 'missing', command: '/nonexistent/nvidia-smi' });
  });

  it('runs the query and parses the answer', async () => {
    fs.chmodSync(fake, 0o755);
    process.env.FAKE_GPU_PID = '4321';
    process.env.FAKE_GPU_MIB = '256';
    try {
      const read = await readGpuUsage(fake, 5000);
      expect(read.kind).toBe('ok');
      if (read.kind === 'ok') expect(read.usage.get(4321)).toBe(256 * MIB);
    } finally {
      delete process.env.FAKE_GPU_PID;
      delete process.env.FAKE_GPU_MIB;
    }
  });

  it("reports the driver's own first line when nvidia-smi fails", async () => {
    fs.chmodSync(fake, 0o755);
    process.env.FAKE_GPU_FAIL = '1';
    try {
      const read = await readGpuUsage(fake, 5000);
      expect(read).toMatchObject({ kind: 'error', message: expect.stringContaining("couldn't communicate with the NVIDIA driver") });
    } finally {
      delete process.env.FAKE_GPU_FAIL;
    }
  });
});
