// --warn and --max in bytes: percentages are of the process's cgroup limit when it has one, else of physical memory.
import os from 'node:os';
import { formatBytes, resolveSize, type SizeSpec } from '../config/units.js';
import { UsageError } from '../errors.js';
import { findMemoryCgroup, type MemoryCgroup, readCgroupLimit } from '../system/cgroup.js';
import type { CgroupLookup } from '../system/cgroup-location.js';

export interface Thresholds {
  readonly limitBytes: number;
  readonly limitSource: 'cgroup' | 'physical';
  /** The process's memory cgroup (v2 or v1), read on every sample. */
  readonly cgroup: MemoryCgroup | undefined;
  readonly warnBytes: number;
  readonly maxBytes: number;
}

export interface ThresholdInput {
  readonly pid: number;
  readonly warn: SizeSpec;
  /** --warn was left at its default: lowered under --max instead of refused. */
  readonly warnIsDefault: boolean;
  readonly max: SizeSpec;
  readonly physicalBytes?: number;
  /** Where to look for the cgroup (tests); the real /proc and mounts when absent. */
  readonly cgroupLookup?: CgroupLookup;
}

export function resolveThresholds(input: ThresholdInput): Thresholds {
  const physical = input.physicalBytes ?? os.totalmem();
  const cgroup = findMemoryCgroup(input.pid, input.cgroupLookup);
  const cgroupLimit = readCgroupLimit(cgroup);
  const fromCgroup = cgroupLimit !== undefined && cgroupLimit < physical;
  const limitBytes = fromCgroup ? cgroupLimit : physical;
  const maxBytes = resolveSize(input.max, limitBytes);
  let warnBytes = resolveSize(input.warn, limitBytes);
  if (warnBytes >= maxBytes) {
    if (!input.warnIsDefault) {
      throw new UsageError(`Expected \`--warn\` (${formatBytes(warnBytes)}) to be below \`--max\` (${formatBytes(maxBytes)})`, {
        code: 'MS_BAD_OPTION',
      });
    }
    // The default 1GB warn under a smaller --max keeps the default's proportion (1GB of 1.5GB).
    warnBytes = Math.floor((maxBytes * 2) / 3);
  }
  return { limitBytes, limitSource: fromCgroup ? 'cgroup' : 'physical', cgroup, warnBytes, maxBytes };
}
