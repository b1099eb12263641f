// Finding a process's memory cgroup on v2, on v1, and in a container, from /proc files captured on such hosts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CgroupMount,
  findMemoryCgroup,
  memoryCgroupCandidates,
  parseMountInfo,
  parseProcCgroup,
} from '../../../src/system/cgroup-location.js';
import { readCgroupLimit } from '../../../src/system/cgroup.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/cgroup/proc');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseProcCgroup', () => {
  it('reads the v2 path and each v1 controller path', () => {
    const proc = parseProcCgroup(fixture('hybrid-v1.cgroup'));
    expect(proc.v2Path).toBe('/');
    expect(proc.v1Paths.get('memory')).toBe('/jobs/runner-1/memsafe-capture');
    expect(proc.v1Paths.get('cpu')).toBe('/');
    expect(proc.v1Paths.has('name=systemd')).toBe(true);
  });

  it('splits co-mounted controllers, and has no v2 path on a v1-only host', () => {
    const proc = parseProcCgroup(fixture('docker-v1.cgroup'));
    expect(proc.v2Path).toBeUndefined();
    expect(proc.v1Paths.get('cpuacct')).toBe('/docker/4f1e9c0a2b');
    expect(parseProcCgroup(fixture('pure-v2.cgroup'))).toEqual({ v2Path: '/user.slice/user-1000.slice/session-3.scope', v1Paths: new Map() });
  });
});

describe('parseMountInfo', () => {
  it.each([
    ['a hybrid host', 'hybrid-v1.mountinfo', 10, { version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/', controllers: ['memory'] }],
    ['a v2 host', 'pure-v2.mountinfo', 1, { version: 2, mountPoint: '/sys/fs/cgroup', root: '/', controllers: [] }],
    ['a container without a cgroup namespace', 'docker-v1.mountinfo', 3, { version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/docker/4f1e9c0a2b', controllers: ['memory'] }],
  ])('finds the cgroup mounts of %s', (_name, file, count, memory) => {
    const mounts = parseMountInfo(fixture(file));
    expect(mounts).toHaveLength(count);
    expect(mounts).toContainEqual(memory);
  });

  it('reads co-mounted controllers and escaped paths', () => {
    const [mount] = parseMountInfo('40 31 0:37 / /sys/fs/cgroup/cpu\\040x rw - cgroup cgroup rw,cpu,cpuacct\n');
    expect(mount).toEqual({ version: 1, mountPoint: '/sys/fs/cgroup/cpu x', root: '/', controllers: ['cpu', 'cpuacct'] });
  });
});

describe('memoryCgroupCandidates', () => {
  it.each([
    ['the hybrid host: v2 root first, then the v1 memory cgroup', 'hybrid-v1', [
      { version: 2, dir: '/sys/fs/cgroup/unified', mountPoint: '/sys/fs/cgroup/unified' },
      { version: 1, dir: '/sys/fs/cgroup/memory/jobs/runner-1/memsafe-capture', mountPoint: '/sys/fs/cgroup/memory' },
    ]],
    ['a v2 host', 'pure-v2', [
      { version: 2, dir: '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope', mountPoint: '/sys/fs/cgroup' },
    ]],
    ['a container that sees only its own cgroup, at the mount point', 'docker-v1', [
      { version: 1, dir: '/sys/fs/cgroup/memory', mountPoint: '/sys/fs/cgroup/memory' },
    ]],
  ])('%s', (_name, host, candidates) => {
    const proc = parseProcCgroup(fixture(`${host}.cgroup`));
    expect(memoryCgroupCandidates(proc, parseMountInfo(fixture(`${host}.mountinfo`)))).toEqual(candidates);
  });

  it('tries the full path, then the mount point, when the path is outside the mounted root', () => {
    const mount: CgroupMount = { version: 1, mountPoint: '/m', root: '/docker/a', controllers: ['memory'] };
    expect(memoryCgroupCandidates(parseProcCgroup('3:memory:/other\n'), [mount]).map((candidate) => candidate.dir)).toEqual(['/m/other', '/m']);
  });
});

describe('findMemoryCgroup on this machine', () => {
  const proc = fs.existsSync('/proc/self/cgroup') ? parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')) : undefined;

  it.runIf(proc !== undefined)('finds a cgroup whose files can be read, where the process has one', () => {
    const cgroup = findMemoryCgroup('self');
    if (cgroup === undefined) return; // outside any memory cgroup (a v2 root without the memory controller)
    expect(cgroup.dir.startsWith(cgroup.mountPoint)).toBe(true);
    expect(fs.existsSync(`${cgroup.dir}/${cgroup.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'}`) || fs.existsSync(`${cgroup.dir}/memory.max`)).toBe(true);
    const limit = readCgroupLimit(cgroup);
    expect(limit === undefined || limit > 0).toBe(true);
  });

  it('finds nothing for a process that does not exist', () => {
    expect(findMemoryCgroup(2 ** 22 + 7)).toBeUndefined();
  });
});
