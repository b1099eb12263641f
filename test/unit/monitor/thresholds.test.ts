import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSize, type SizeSpec } from '../../../src/config/units.js';
import { UsageError } from '../../../src/errors.js';
import { resolveThresholds } from '../../../src/monitor/thresholds.js';
import type { CgroupLookup, CgroupMount } from '../../../src/system/cgroup-location.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const size = (text: string) => parseSize(text) as SizeSpec;

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** No cgroup at all: the process's own /proc and mounts are not looked at. */
const NONE: CgroupLookup = { procCgroup: '', mounts: [] };

/**
 * A cgroup tree in a temp dir mounted (as far as the lookup knows) where v2 or v1 would be, with the process in
 * /app/worker and `files` written along that path ("app/memory.max": a limit on the parent).
 */
function cgroupTree(version: 1 | 2, files: Record<string, string>): { root: string; lookup: CgroupLookup } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cgroot-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'app/worker'), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
  const procCgroup = version === 2 ? '0::/app/worker\n' : '4:memory:/app/worker\n1:cpu,cpuacct:/app\n0::/\n';
  const mounts: CgroupMount[] = [{ version, mountPoint: root, root: '/', controllers: version === 2 ? [] : ['memory'] }];
  return { root, lookup: { procCgroup, mounts } };
}

describe('resolveThresholds', () => {
  it('takes percentages of physical memory when the process has no cgroup limit', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('50%'), warnIsDefault: false, max: size('75%'), physicalBytes: 8 * GB, cgroupLookup: NONE });
    expect(thresholds).toMatchObject({ limitBytes: 8 * GB, limitSource: 'physical', warnBytes: 4 * GB, maxBytes: 6 * GB });
  });

  it.each([
    ['v2 memory.max', 2, { 'app/worker/memory.max': `${2 * GB}\n`, 'app/worker/memory.current': '0\n' }],
    ['v2 memory.max of the parent', 2, { 'app/memory.max': `${2 * GB}\n`, 'app/worker/memory.max': 'max\n', 'app/worker/memory.current': '0\n' }],
    ['v1 memory.limit_in_bytes', 1, { 'app/worker/memory.limit_in_bytes': `${2 * GB}\n`, 'app/worker/memory.usage_in_bytes': '0\n' }],
    ['v1 hierarchical_memory_limit', 1, {
      'app/worker/memory.limit_in_bytes': '9223372036854771712\n',
      'app/worker/memory.usage_in_bytes': '0\n',
      'app/worker/memory.stat': `rss 0\nhierarchical_memory_limit ${2 * GB}\n`,
    }],
  ] as const)('takes percentages of the cgroup limit from %s', (_name, version, files) => {
    const { root, lookup } = cgroupTree(version, files);
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('50%'), warnIsDefault: false, max: size('90%'), physicalBytes: 8 * GB, cgroupLookup: lookup });
    expect(thresholds).toMatchObject({ limitBytes: 2 * GB, limitSource: 'cgroup', warnBytes: 1 * GB, maxBytes: Math.floor(1.8 * GB) });
    expect(thresholds.cgroup).toEqual({ version, dir: path.join(root, 'app/worker'), mountPoint: root });
  });

  it.each([
    ['v2 "max"', 2, { 'app/worker/memory.max': 'max\n', 'app/worker/memory.current': '0\n' }],
    ['v1 unlimited', 1, { 'app/worker/memory.limit_in_bytes': '9223372036854771712\n', 'app/worker/memory.usage_in_bytes': '0\n' }],
  ] as const)('ignores an unlimited cgroup (%s)', (_name, version, files) => {
    const { lookup } = cgroupTree(version, files);
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('10%'), warnIsDefault: false, max: size('20%'), physicalBytes: 10 * GB, cgroupLookup: lookup });
    expect(thresholds.limitSource).toBe('physical');
    expect(thresholds.cgroup?.version).toBe(version);
  });

  it('keeps sizes as given', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('80MB'), warnIsDefault: false, max: size('150MB'), physicalBytes: 8 * GB, cgroupLookup: NONE });
    expect(thresholds).toMatchObject({ warnBytes: 80 * MB, maxBytes: 150 * MB });
  });

  it('refuses a --warn at or above --max', () => {
    expect(() => resolveThresholds({ pid: process.pid, warn: size('2GB'), warnIsDefault: false, max: size('1GB'), physicalBytes: 8 * GB, cgroupLookup: NONE })).toThrow(UsageError);
    expect(() => resolveThresholds({ pid: process.pid, warn: size('2GB'), warnIsDefault: false, max: size('1GB'), physicalBytes: 8 * GB, cgroupLookup: NONE })).toThrow(/--warn.*below.*--max/);
  });

  it('lowers the default --warn under a smaller --max instead of refusing it', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('1GB'), warnIsDefault: true, max: size('600MB'), physicalBytes: 8 * GB, cgroupLookup: NONE });
    expect(thresholds.warnBytes).toBe(400 * MB);
  });
});
