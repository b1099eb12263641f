// One reading of a process (or its tree): RSS and CPU from pidusage, plus cgroup, PSI and GPU where available.
import pidusage from 'pidusage';
import { type MemoryCgroup, readCgroupLimit, readMemoryCurrent, readMemoryEvents, readMemoryPeak, readMemoryPressure, readWorkingSet } from '../system/cgroup.js';
import { type GpuRead, gpuBytesOf, readGpuUsage } from './gpu.js';
import { processLiveness, processTree } from './process-tree.js';
import type { CgroupReading, Sample } from './sample.js';

export interface SamplerOptions {
  readonly pid: number;
  /** Sum the whole process tree, picking up new children on every sample. */
  readonly children: boolean;
  readonly intervalMs: number;
  readonly cgroup: MemoryCgroup | undefined;
  /** The nvidia-smi to run; absent when --gpu is off. */
  readonly gpuCommand?: string;
  /** Told once per kind of GPU trouble (missing binary, failing driver). */
  readonly onGpuTrouble?: (read: Exclude<GpuRead, { kind: 'ok' }>) => void;
  readonly now?: () => number;
}

/** A reading; `gone` once the process has ended; `missed` when it runs but could not be read this time. */
export type Reading = { readonly kind: 'sample'; readonly sample: Sample } | { readonly kind: 'gone' } | { readonly kind: 'missed' };

export class Sampler {
  private gpuEnabled: boolean;
  private readonly gpuTroubleSeen = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: SamplerOptions) {
    this.gpuEnabled = options.gpuCommand !== undefined;
    this.now = options.now ?? Date.now;
  }

  async read(): Promise<Reading> {
    const { pid } = this.options;
    if (processLiveness(pid) === 'gone') return { kind: 'gone' };
    const pids = this.options.children ? processTree(pid) : [pid];
    const [stats, gpu] = await Promise.all([this.readStats(pids), this.readGpu()]);
    const root = stats[pid];
    if (root === undefined || root === null) return processLiveness(pid) === 'gone' ? { kind: 'gone' } : { kind: 'missed' };
    let rssBytes = 0;
    let cpu = 0;
    let procs = 0;
    for (const stat of Object.values(stats)) {
      if (stat === undefined || stat === null) continue; // a child that ended between the scan and the read
      rssBytes += stat.memory;
      cpu += stat.cpu;
      procs++;
    }
    const cgroup = this.readCgroup();
    const pressure = readMemoryPressure(this.options.cgroup);
    const sample: Sample = {
      t: this.now(),
      pid,
      rssBytes,
      cpu: Math.round(cpu * 10) / 10,
      procs,
      ...(cgroup === undefined ? {} : { cgroup }),
      ...(pressure === undefined ? {} : { pressure }),
      ...(gpu === undefined ? {} : { gpuBytes: gpuBytesOf(pids, gpu) }),
    };
    return { kind: 'sample', sample };
  }

  /** Lets the process exit: pidusage keeps an interval and open /proc files per pid. */
  close(): void {
    pidusage.clear();
  }

  private async readStats(pids: number[]): Promise<Record<string, pidusage.Status | null | undefined>> {
    // maxage bounds how long pidusage keeps the stat file of a pid that has gone (it caches one fd per pid).
    const maxage = 3 * this.options.intervalMs + 1000;
    try {
      return await pidusage(pids, { maxage });
    } catch {
      return {}; // the caller tells a process that has gone from one that could not be read
    }
  }

  private readCgroup(): CgroupReading | undefined {
    const cgroup = this.options.cgroup;
    if (cgroup === undefined) return undefined;
    return {
      version: cgroup.version,
      currentBytes: readMemoryCurrent(cgroup),
      workingSetBytes: readWorkingSet(cgroup),
      peakBytes: readMemoryPeak(cgroup),
      limitBytes: readCgroupLimit(cgroup),
      events: readMemoryEvents(cgroup),
    };
  }

  private async readGpu(): Promise<ReadonlyMap<number, number | null> | undefined> {
    const command = this.options.gpuCommand;
    if (!this.gpuEnabled || command === undefined) return undefined;
    const timeoutMs = Math.min(5000, Math.max(1000, this.options.intervalMs));
    const read = await readGpuUsage(command, timeoutMs);
    if (read.kind === 'ok') return read.usage;
    if (read.kind === 'missing') this.gpuEnabled = false; // it will not appear during the watch
    if (!this.gpuTroubleSeen.has(read.kind)) {
      this.gpuTroubleSeen.add(read.kind);
      this.options.onGpuTrouble?.(read);
    }
    return undefined;
  }
}
