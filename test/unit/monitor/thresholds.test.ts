import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSize, type SizeSpec } from '../../../src/config/units.js';
import { UsageError } from '../../../src/errors.js';
import { resolveThresholds } from '../../../src/monitor/thresholds.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const size = (text: string) => parseSize(text) as SizeSpec;

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** A cgroup v2 tree in a temp dir where this process's cgroup (as /proc/self/cgroup names it) has `memory.max`. */
function cgroupRootWithLimit(limit: string): string | undefined {
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
  if (line === undefined) return undefined;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cgroot-'));
  roots.push(root);
  const dir = path.join(root, line.slice(3).trim());
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'memory.max'), `${limit}\n`);
  fs.writeFileSync(path.join(dir, 'memory.current'), '0\n');
  return root;
}

describe('resolveThresholds', () => {
  it('takes percentages of physical memory when the process has no cgroup limit', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('50%'), warnIsDefault: false, max: size('75%'), physicalBytes: 8 * GB, cgroupRoot: '/nonexistent' });
    expect(thresholds).toMatchObject({ limitBytes: 8 * GB, limitSource: 'physical', warnBytes: 4 * GB, maxBytes: 6 * GB });
  });

  it.runIf(fs.existsSync('/proc/self/cgroup'))('takes percentages of the cgroup limit when there is one', () => {
    const root = cgroupRootWithLimit(String(2 * GB));
    if (root === undefined) return;
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('50%'), warnIsDefault: false, max: size('90%'), physicalBytes: 8 * GB, cgroupRoot: root });
    expect(thresholds).toMatchObject({ limitBytes: 2 * GB, limitSource: 'cgroup', warnBytes: 1 * GB, maxBytes: Math.floor(1.8 * GB) });
    expect(thresholds.cgroupDir?.startsWith(root)).toBe(true);
  });

  it.runIf(fs.existsSync('/proc/self/cgroup'))('ignores an unlimited cgroup ("max")', () => {
    const root = cgroupRootWithLimit('max');
    if (root === undefined) return;
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('10%'), warnIsDefault: false, max: size('20%'), physicalBytes: 10 * GB, cgroupRoot: root });
    expect(thresholds.limitSource).toBe('physical');
  });

  it('keeps sizes as given', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('80MB'), warnIsDefault: false, max: size('150MB'), physicalBytes: 8 * GB, cgroupRoot: '/nonexistent' });
    expect(thresholds).toMatchObject({ warnBytes: 80 * MB, maxBytes: 150 * MB });
  });

  it('refuses a --warn at or above --max', () => {
    expect(() => resolveThresholds({ pid: process.pid, warn: size('2GB'), warnIsDefault: false, max: size('1GB'), physicalBytes: 8 * GB, cgroupRoot: '/nonexistent' })).toThrow(UsageError);
    expect(() => resolveThresholds({ pid: process.pid, warn: size('2GB'), warnIsDefault: false, max: size('1GB'), physicalBytes: 8 * GB, cgroupRoot: '/nonexistent' })).toThrow(/--warn.*below.*--max/);
  });

  it('lowers the default --warn under a smaller --max instead of refusing it', () => {
    const thresholds = resolveThresholds({ pid: process.pid, warn: size('1GB'), warnIsDefault: true, max: size('600MB'), physicalBytes: 8 * GB, cgroupRoot: '/nonexistent' });
    expect(thresholds.warnBytes).toBe(400 * MB);
  });
});
