// The memory a run may use: the cgroup limit, v2 or v1, else what Node reports, else physical memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CgroupLookup } from '../../../src/system/cgroup-location.js';
import { detectMemoryLimit } from '../../../src/system/memory-limit.js';

const GB = 1024 ** 3;
const NONE: CgroupLookup = { procCgroup: '', mounts: [] };
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function tree(version: 1 | 2, files: Record<string, string>): CgroupLookup {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-limit-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'job'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, 'job', name), text);
  return {
    procCgroup: version === 2 ? '0::/job\n' : '4:memory:/job\n0::/\n',
    mounts: [{ version, mountPoint: root, root: '/', controllers: version === 2 ? [] : ['memory'] }],
  };
}

describe('detectMemoryLimit', () => {
  it.each([
    // guards: issue 11, --max-memory defaults from a v1 limit too (memory.limit_in_bytes), not only v2 memory.max
    ['a v1 limit', () => tree(1, { 'memory.limit_in_bytes': `${GB}\n`, 'memory.usage_in_bytes': '0\n' }), () => undefined, { bytes: GB, source: 'cgroup' }],
    ['a v2 limit', () => tree(2, { 'memory.max': `${GB}\n`, 'memory.current': '0\n' }), () => undefined, { bytes: GB, source: 'cgroup' }],
    ['no cgroup, and Node reports 2^64 (no limit)', () => NONE, () => 2 ** 64, { bytes: os.totalmem(), source: 'physical' }],
    ['no cgroup found, but Node reports one', () => NONE, () => GB / 2, { bytes: GB / 2, source: 'cgroup' }],
    ['an unlimited v1 cgroup', () => tree(1, { 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.usage_in_bytes': '0\n' }), () => 2 ** 64, { bytes: os.totalmem(), source: 'physical' }],
  ])('%s', (_name, lookup: () => CgroupLookup, constrained: () => number | undefined, limit: object) => {
    expect(detectMemoryLimit(lookup(), constrained)).toEqual(limit);
  });
});
