// The cgroup readers, v2 and v1, on files captured from real cgroups (test/fixtures/cgroup/README.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MemoryCgroup,
  parseKeyValues,
  parseLimit,
  parseMemoryEvents,
  parseOomControl,
  parsePressure,
  readCgroupLimit,
  readMemoryCurrent,
  readMemoryEvents,
  readMemoryPeak,
  readMemoryPressure,
  readWorkingSet,
  workingSet,
} from '../../../src/system/cgroup.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/cgroup');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const at = (version: 1 | 2, dir: string): MemoryCgroup => ({ version, dir: path.join(FIXTURES, dir), mountPoint: path.join(FIXTURES, dir) });
const V1 = at(1, 'v1-running');
const V1_OOM = at(1, 'v1-oom');
const V2 = at(2, 'v2-running');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempCgroup(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cgroup-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('cgroup readers on captured files', () => {
  it.each([
    // version, cgroup, current, working set, peak, limit
    ['v1', V1, 75_759_616, 75_759_616 - (parseKeyValues(fixture('v1-running/memory.stat')).get('total_inactive_file') ?? 0), 75_759_616, 134_217_728],
    ['v2', V2, 75_759_616, 75_759_616 - 3_145_728, 75_890_688, 134_217_728],
  ])('%s: usage, working set, peak and limit', (_name, cgroup, current, working, peak, limit) => {
    expect(readMemoryCurrent(cgroup)).toBe(current);
    expect(readWorkingSet(cgroup)).toBe(working);
    expect(readMemoryPeak(cgroup)).toBe(peak);
    expect(readCgroupLimit(cgroup)).toBe(limit);
  });

  it.each([
    ['v1 running', V1, { high: 0, max: 0, oom: 0, oomKill: 0 }],
    ['v1 after an OOM kill', V1_OOM, { high: 0, max: 0, oom: 1, oomKill: 1 }],
    ['v2', V2, { high: 0, max: 14, oom: 1, oomKill: 1 }],
  ])('%s: OOM kills and limit hits', (_name, cgroup, events) => {
    expect(readMemoryEvents(cgroup)).toEqual(events);
  });

  it('reads v1 peak usage after the OOM kill at the limit', () => {
    expect(readMemoryPeak(V1_OOM)).toBe(134_217_728);
  });

  it('reads PSI of a v2 cgroup; v1 has none, so the system PSI is read', () => {
    const system = path.join(tempCgroup({ memory: 'some avg10=9.50 avg60=0 avg300=0 total=1\n' }), 'memory');
    expect(readMemoryPressure(V2, system)).toEqual({ someAvg10: 0.31, fullAvg10: 0.2, scope: 'cgroup' });
    expect(readMemoryPressure(V1, system)).toEqual({ someAvg10: 9.5, fullAvg10: undefined, scope: 'system' });
    expect(readMemoryPressure(undefined, '/nonexistent/pressure')).toBeUndefined();
  });
});

describe('cgroup limits up the tree', () => {
  it.each([
    ['v2: the smallest of the cgroup and its ancestors', 2, { 'memory.max': '300\n', 'a/memory.max': 'max\n', 'a/b/memory.max': '500\n' }, 300],
    ['v2: unlimited all the way up', 2, { 'a/memory.max': 'max\n', 'a/b/memory.max': 'max\n' }, undefined],
    ['v1: a parent limit', 1, { 'a/memory.limit_in_bytes': '400\n', 'a/b/memory.limit_in_bytes': '9223372036854771712\n' }, 400],
    ['v1: hierarchical_memory_limit, for ancestors a container cannot see', 1, {
      'a/b/memory.limit_in_bytes': '9223372036854771712\n',
      'a/b/memory.stat': 'rss 1\nhierarchical_memory_limit 700\n',
    }, 700],
    ['v1: unlimited', 1, { 'a/b/memory.limit_in_bytes': '9223372036854771712\n', 'a/b/memory.stat': 'hierarchical_memory_limit 9223372036854771712\n' }, undefined],
  ] as const)('%s', (_name, version, files, limit) => {
    const mountPoint = tempCgroup(files);
    expect(readCgroupLimit({ version, dir: path.join(mountPoint, 'a/b'), mountPoint })).toBe(limit);
  });
});

describe('cgroup parsers', () => {
  it.each([
    ['134217728\n', 134_217_728],
    ['max\n', undefined],
    ['9223372036854771712\n', undefined], // v1's "no limit" on 4 KiB pages
    ['9223372036854710272\n', undefined], // and on 64 KiB pages
    ['', undefined],
    ['0\n', undefined],
    ['nonsense', undefined],
  ])('parseLimit(%j) is %s', (text, limit) => {
    expect(parseLimit(text)).toBe(limit);
  });

  it.each([
    ['v1 counts descendants: total_inactive_file', 1, 'inactive_file 10\ntotal_inactive_file 30\n', 70],
    ['v1 without the total_ lines', 1, 'inactive_file 10\n', 90],
    ['v2 inactive_file', 2, 'inactive_file 10\ntotal_inactive_file 30\n', 90],
    ['no memory.stat', 2, '', 100],
    ['more inactive than usage', 2, 'inactive_file 200\n', 0],
  ] as const)('working set: %s', (_name, version, stat, expected) => {
    expect(workingSet(100, parseKeyValues(stat), version)).toBe(expected);
  });

  it('reads v1 OOM kills from memory.oom_control, and nothing from a kernel without the counter', () => {
    expect(parseOomControl(fixture('v1-oom/memory.oom_control'), '3\n')).toEqual({ high: 0, max: 3, oom: 1, oomKill: 1 });
    expect(parseOomControl('oom_kill_disable 0\nunder_oom 0\n', '0\n')).toBeUndefined();
    expect(parseOomControl(undefined, undefined)).toBeUndefined();
  });

  it('reads v2 memory.events', () => {
    expect(parseMemoryEvents(fixture('v2-running/memory.events'))).toEqual({ high: 0, max: 14, oom: 1, oomKill: 1 });
    expect(parseMemoryEvents('')).toBeUndefined();
  });

  it('returns undefined where the files are absent', () => {
    const empty = { version: 1 as const, dir: tempCgroup({}), mountPoint: '/' };
    expect(readMemoryCurrent(empty)).toBeUndefined();
    expect(readWorkingSet(empty)).toBeUndefined();
    expect(readMemoryEvents(empty)).toBeUndefined();
    expect(readMemoryPeak(empty)).toBeUndefined();
    expect(readMemoryCurrent(undefined)).toBeUndefined();
  });

  it.each([
    ['a kernel without the full line', 'some avg10=2.00 avg60=0 avg300=0 total=1\n', { someAvg10: 2, fullAvg10: undefined, scope: 'system' }],
    ['garbage', 'nothing here', undefined],
  ])('parses PSI from %s', (_name, text, reading) => {
    expect(parsePressure(text, 'system')).toEqual(reading);
  });

  it('keeps only "key number" lines', () => {
    expect([...parseKeyValues('a 1\nb x\n\nc 2 3\nd 4\n')]).toEqual([
      ['a', 1],
      ['d', 4],
    ]);
  });
});
