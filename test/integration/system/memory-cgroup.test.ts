// The memory-cgroup test harness on this machine's kernel: a 128 MB cgroup OOM-kills an allocator that climbs
// past it, and counts nothing for one that stays under it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeMemoryCgroup, probeMemoryCgroup, type TestMemoryCgroup } from '../../helpers/memory-cgroup.js';

const ALLOCATOR = path.resolve(import.meta.dirname, '../../fixtures/allocator.mjs');
const MB = 1024 * 1024;
const LIMIT = 128 * MB;
const probe = probeMemoryCgroup();

const made: TestMemoryCgroup[] = [];
afterEach(async () => {
  for (const cgroup of made.splice(0)) await cgroup.remove();
});

function cgroupOf128MB(): TestMemoryCgroup {
  const result = makeMemoryCgroup({ limitBytes: LIMIT });
  if (!result.ok) throw new Error(result.reason);
  made.push(result.cgroup);
  return result.cgroup;
}

describe.skipIf(!probe.ok)(`a real memory cgroup (${probe.ok ? `v${probe.version}` : probe.reason})`, () => {
  it('OOM-kills an allocator that climbs past 128 MB, and counts the kill', async () => {
    const cgroup = cgroupOf128MB();
    const child = cgroup.spawn(process.execPath, [ALLOCATOR, '--step-mb', '16', '--every-ms', '50', '--max-mb', '1024'], { stdio: 'ignore' });
    const exit = await cgroup.exited(child);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(cgroup.oomKills()).toBeGreaterThanOrEqual(1);
    const peak = cgroup.peakBytes();
    if (peak !== undefined) {
      expect(peak).toBeGreaterThan(LIMIT - 16 * MB);
      expect(peak).toBeLessThanOrEqual(LIMIT);
    }
  });

  it('sees zero kills for an allocator that stays under the limit, and its peak', async () => {
    const cgroup = cgroupOf128MB();
    const child = cgroup.spawn(process.execPath, [ALLOCATOR, '--flat-mb', '32', '--exit-after-ms', '300'], { stdio: 'ignore' });
    expect(await cgroup.exited(child)).toEqual({ code: 0, signal: null });
    expect(cgroup.oomKills()).toBe(0);
    const peak = cgroup.peakBytes();
    if (peak !== undefined) {
      expect(peak).toBeGreaterThan(32 * MB);
      expect(peak).toBeLessThan(LIMIT);
    }
  });

  it('holds the spawned process inside from its start, and removes itself once it is empty', async () => {
    const cgroup = cgroupOf128MB();
    const child = cgroup.spawn(process.execPath, ['-e', "console.log('ready'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    expect(cgroup.pids()).toEqual([child.pid]);
    await cgroup.remove(); // kills it first
    made.splice(made.indexOf(cgroup), 1);
    expect((await cgroup.exited(child)).signal).toBe('SIGKILL');
    expect(fs.existsSync(cgroup.dir)).toBe(false);
  });
});

describe('the harness without a cgroup', () => {
  it('says why it cannot make one, or that it can', () => {
    if (probe.ok) expect([1, 2]).toContain(probe.version);
    else expect(probe.reason).toMatch(/root|read-only|not writable|no memory|Linux|cannot/);
  });
});
