import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuRead } from '../../../src/monitor/gpu.js';
import type { Sample } from '../../../src/monitor/sample.js';
import { Sampler } from '../../../src/monitor/sampler.js';

const ALLOCATOR = path.resolve(import.meta.dirname, '../../fixtures/allocator.mjs');
const FAKE_SMI = path.resolve(import.meta.dirname, '../../fixtures/nvidia-smi/fake-nvidia-smi.sh');
const MB = 1024 * 1024;

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** An allocator that has allocated `flatMb` (in each process), with its children. */
async function allocator(flatMb: number, children = 0): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ALLOCATOR, '--flat-mb', String(flatMb), '--children', String(children)], { stdio: 'ignore' });
  started.push(child);
  const sampler = new Sampler({ pid: child.pid as number, children: true, intervalMs: 100, cgroup: undefined });
  // wait until every process is up and has touched its memory
  for (let attempt = 0; attempt < 100; attempt++) {
    const reading = await sampler.read();
    const sample = reading.kind === 'sample' ? reading.sample : undefined;
    if (sample !== undefined && sample.procs === children + 1 && sample.rssBytes >= (children + 1) * flatMb * MB) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

async function sampleOf(sampler: Sampler): Promise<Sample | undefined> {
  const reading = await sampler.read();
  return reading.kind === 'sample' ? reading.sample : undefined;
}

describe('Sampler', () => {
  it("reads a process's RSS and CPU", async () => {
    const child = await allocator(60);
    const sample = await sampleOf(new Sampler({ pid: child.pid as number, children: false, intervalMs: 100, cgroup: undefined, now: () => 42 }));
    expect(sample).toMatchObject({ t: 42, pid: child.pid, procs: 1 });
    expect(sample?.rssBytes).toBeGreaterThanOrEqual(60 * MB);
    expect(sample?.cpu).toBeGreaterThanOrEqual(0);
    expect(sample).not.toHaveProperty('gpuBytes');
  });

  it('sums the process tree with children, and only the root without', async () => {
    const child = await allocator(40, 2);
    const tree = await sampleOf(new Sampler({ pid: child.pid as number, children: true, intervalMs: 100, cgroup: undefined }));
    const root = await sampleOf(new Sampler({ pid: child.pid as number, children: false, intervalMs: 100, cgroup: undefined }));
    expect(tree?.procs).toBe(3);
    expect(tree?.rssBytes).toBeGreaterThanOrEqual(120 * MB);
    expect(root?.procs).toBe(1);
    expect(root?.rssBytes).toBeLessThan(tree?.rssBytes ?? 0);
  });

  it('reads `gone` once the process has ended', async () => {
    const child = await allocator(10);
    const sampler = new Sampler({ pid: child.pid as number, children: false, intervalMs: 100, cgroup: undefined });
    expect((await sampler.read()).kind).toBe('sample');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await sampler.read()).toEqual({ kind: 'gone' });
    sampler.close();
  });

  it('tells once that nvidia-smi is missing, and goes on sampling memory', async () => {
    const troubles: GpuRead[] = [];
    const sampler = new Sampler({
      pid: process.pid,
      children: false,
      intervalMs: 100,
      cgroup: undefined,
      gpuCommand: '/nonexistent/nvidia-smi',
      onGpuTrouble: (trouble) => troubles.push(trouble),
    });
    const first = await sampleOf(sampler);
    const second = await sampleOf(sampler);
    expect(troubles).toEqual([{ kind: 'missing', command: '/nonexistent/nvidia-smi' }]);
    expect(first?.rssBytes).toBeGreaterThan(0);
    expect(second).not.toHaveProperty('gpuBytes');
  });

  it("adds the process's GPU memory from nvidia-smi", async () => {
    process.env.FAKE_GPU_PID = String(process.pid);
    process.env.FAKE_GPU_MIB = '300';
    try {
      const sample = await sampleOf(new Sampler({ pid: process.pid, children: false, intervalMs: 100, cgroup: undefined, gpuCommand: FAKE_SMI }));
      expect(sample?.gpuBytes).toBe(300 * MB);
    } finally {
      delete process.env.FAKE_GPU_PID;
      delete process.env.FAKE_GPU_MIB;
    }
  });
});
