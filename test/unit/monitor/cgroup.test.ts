// The cgroup v2 readers the monitor adds to src/system/cgroup.ts, on a cgroup directory laid out in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseKeyValues,
  parseMemoryEvents,
  parsePressure,
  readMemoryCurrent,
  readMemoryEvents,
  readMemoryPressure,
  readWorkingSet,
} from '../../../src/system/cgroup.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function cgroup(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cgroup-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const MEMORY_STAT = `anon 104857600
file 52428800
kernel 2097152
active_file 10485760
inactive_file 41943040
slab 1048576
`;

const PSI = `some avg10=1.25 avg60=0.50 avg300=0.10 total=123456
full avg10=0.75 avg60=0.20 avg300=0.05 total=65432
`;

describe('cgroup v2 readers', () => {
  it('reads memory.current, and the working set without inactive page cache', () => {
    const dir = cgroup({ 'memory.current': '157286400\n', 'memory.stat': MEMORY_STAT });
    expect(readMemoryCurrent(dir)).toBe(157_286_400);
    expect(readWorkingSet(dir)).toBe(157_286_400 - 41_943_040);
  });

  it('counts the whole of memory.current when memory.stat is missing', () => {
    expect(readWorkingSet(cgroup({ 'memory.current': '1000\n' }))).toBe(1000);
  });

  it('returns undefined where the files are absent', () => {
    const dir = cgroup({});
    expect(readMemoryCurrent(dir)).toBeUndefined();
    expect(readWorkingSet(dir)).toBeUndefined();
    expect(readMemoryEvents(dir)).toBeUndefined();
    expect(readMemoryCurrent(undefined)).toBeUndefined();
  });

  it('reads memory.events', () => {
    const dir = cgroup({ 'memory.events': 'low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n' });
    expect(readMemoryEvents(dir)).toEqual({ high: 12, max: 3, oom: 2, oomKill: 1 });
    expect(parseMemoryEvents('')).toBeUndefined();
  });

  it('reads PSI of the cgroup, else of the system', () => {
    const system = path.join(cgroup({ memory: PSI.replace('1.25', '9.50') }), 'memory');
    expect(readMemoryPressure(cgroup({ 'memory.pressure': PSI }), system)).toEqual({ someAvg10: 1.25, fullAvg10: 0.75, scope: 'cgroup' });
    expect(readMemoryPressure(cgroup({}), system)).toEqual({ someAvg10: 9.5, fullAvg10: 0.75, scope: 'system' });
    expect(readMemoryPressure(undefined, '/nonexistent/pressure')).toBeUndefined();
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
