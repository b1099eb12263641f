// The memory this process may use: its cgroup limit (v2 or v1) when there is one, else physical memory.
import os from 'node:os';
import { findMemoryCgroup, readCgroupLimit } from './cgroup.js';
import type { CgroupLookup } from './cgroup-location.js';

export interface MemoryLimit {
  readonly bytes: number;
  readonly source: 'cgroup' | 'physical';
}

/** Node 20 reports 2^64 from constrainedMemory() when no limit is set: treat that as none. */
const NO_LIMIT = 2 ** 60;

export function detectMemoryLimit(lookup: CgroupLookup = {}, constrainedMemory: () => number | undefined = () => process.constrainedMemory?.()): MemoryLimit {
  const physical = os.totalmem();
  const cgroup = readCgroupLimit(findMemoryCgroup('self', lookup));
  if (cgroup !== undefined && cgroup < physical) return { bytes: cgroup, source: 'cgroup' };
  const constrained = constrainedMemory();
  if (constrained !== undefined && constrained > 0 && constrained < NO_LIMIT && constrained < physical) {
    return { bytes: constrained, source: 'cgroup' };
  }
  return { bytes: physical, source: 'physical' };
}
