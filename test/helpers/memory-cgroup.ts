// A real memory cgroup for tests (issue 11), made as root on cgroup v2 or, where only v1 has the memory
// controller, on v1. API:
//
//   const made = makeMemoryCgroup({ limitBytes: 128 * MB });   // or probeMemoryCgroup() to decide a skip up front
//   if (!made.ok) return context.skip(made.reason);            // "needs root (uid 1000)", "... read-only (EROFS)", ...
//   const { cgroup } = made;
//   cgroup.version                       // 2 or 1
//   cgroup.dir                           // e.g. /sys/fs/cgroup/memory/<own cgroup>/memsafe-test-123-1
//   const child = cgroup.spawn(process.execPath, [script, ...args], { stdio: 'ignore' });
//                                        // runs inside the cgroup from its first instruction (a shell joins, then execs)
//   const { code, signal } = await cgroup.exited(child);       // an OOM-killed child ends with SIGKILL
//   cgroup.oomKills()                    // v2 memory.events oom_kill, v1 memory.oom_control oom_kill
//   cgroup.peakBytes()                   // v2 memory.peak (kernel 5.19+), v1 memory.max_usage_in_bytes; undefined if absent
//   cgroup.currentBytes()                // v2 memory.current, v1 memory.usage_in_bytes
//   await cgroup.remove()                // SIGKILLs what is left inside, waits until it is empty, rmdir
//
// Swap is off inside (v2 memory.swap.max 0; v1 memory.memsw.limit_in_bytes = the limit where present, and
// memory.swappiness 0), so the limit is where the OOM killer acts. Cgroups left behind by a crashed test run
// (memsafe-test-<pid>-* of a pid that has gone, and empty) are removed by the next make.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CgroupMount, parseMountInfo, parseProcCgroup } from '../../src/system/cgroup-location.js';
import { parseKeyValues } from '../../src/system/cgroup.js';

export interface MemoryCgroupOptions {
  readonly limitBytes: number;
}

export type MemoryCgroupMade = { readonly ok: true; readonly cgroup: TestMemoryCgroup } | { readonly ok: false; readonly reason: string };

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Place {
  readonly version: 1 | 2;
  /** The cgroup the test cgroup is made in. */
  readonly parent: string;
}

let made = 0;

/** Whether a test cgroup can be made, or why not; makes none (on v2 it may enable memory for the parent's children). */
export function probeMemoryCgroup(): { readonly ok: true; readonly version: 1 | 2 } | { readonly ok: false; readonly reason: string } {
  const place = findPlace();
  return 'reason' in place ? place : { ok: true, version: place.version };
}

export function makeMemoryCgroup(options: MemoryCgroupOptions): MemoryCgroupMade {
  const place = findPlace();
  if ('reason' in place) return place;
  sweepLeftovers(place.parent);
  const dir = path.join(place.parent, `memsafe-test-${process.pid}-${++made}`);
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    return { ok: false, reason: `cannot make a memory cgroup in ${place.parent}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  try {
    setLimit(place.version, dir, options.limitBytes);
  } catch (error) {
    fs.rmdirSync(dir);
    return { ok: false, reason: `cannot set a memory limit on ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  return { ok: true, cgroup: new TestMemoryCgroup(place.version, dir) };
}

export class TestMemoryCgroup {
  constructor(
    readonly version: 1 | 2,
    readonly dir: string,
  ) {}

  /** Starts `command` inside the cgroup: a shell writes its own pid to cgroup.procs, then execs the command. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const procs = path.join(this.dir, 'cgroup.procs');
    return spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, command, ...args], options);
  }

  exited(child: ChildProcess): Promise<ChildExit> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  oomKills(): number {
    const text = read(path.join(this.dir, this.version === 2 ? 'memory.events' : 'memory.oom_control'));
    return parseKeyValues(text).get('oom_kill') ?? 0;
  }

  peakBytes(): number | undefined {
    return number(read(path.join(this.dir, this.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes')));
  }

  currentBytes(): number | undefined {
    return number(read(path.join(this.dir, this.version === 2 ? 'memory.current' : 'memory.usage_in_bytes')));
  }

  /** The pids inside now. */
  pids(): number[] {
    return (read(path.join(this.dir, 'cgroup.procs')) ?? '').split('\n').filter((line) => line !== '').map(Number);
  }

  /** Kills what is left inside, waits for it to leave (bounded), and removes the cgroup. */
  async remove(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pids = this.pids();
      for (const pid of pids) killQuietly(pid);
      if (pids.length === 0) {
        try {
          fs.rmdirSync(this.dir);
          return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          if (code !== 'EBUSY' || Date.now() > deadline) throw error;
        }
      } else if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} are still in ${this.dir}`);
      await sleep(20); // a killed process leaves the cgroup a moment after it exits: nothing to await but the file
    }
  }
}

function findPlace(): Place | { readonly ok: false; readonly reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `memory cgroups are Linux only (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `making a memory cgroup needs root (uid ${uid})` };
  const proc = parseProcCgroup(read('/proc/self/cgroup') ?? '');
  const mounts = parseMountInfo(read('/proc/self/mountinfo') ?? '');
  const notes: string[] = [];
  const v2 = mounts.find((mount) => mount.version === 2);
  if (v2 !== undefined) {
    const place = v2Place(v2, proc.v2Path ?? '/', notes);
    if (place !== undefined) return place;
  } else notes.push('no cgroup2 is mounted');
  const v1 = mounts.find((mount) => mount.version === 1 && mount.controllers.includes('memory'));
  if (v1 === undefined) notes.push('no cgroup v1 memory hierarchy is mounted');
  else {
    const own = path.join(v1.mountPoint, relativeTo(v1, proc.v1Paths.get('memory') ?? '/'));
    for (const parent of [own, v1.mountPoint]) {
      if (writable(parent, notes)) return { version: 1, parent };
    }
  }
  return { ok: false, reason: `no memory cgroup can be made here: ${notes.join('; ')}` };
}

/** A v2 cgroup whose children get the memory controller: the process's own, else the root of what it sees. */
function v2Place(mount: CgroupMount, ownPath: string, notes: string[]): Place | undefined {
  const own = path.join(mount.mountPoint, relativeTo(mount, ownPath));
  for (const parent of own === mount.mountPoint ? [own] : [own, mount.mountPoint]) {
    const controllers = (read(path.join(parent, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
    if (!controllers.includes('memory')) {
      notes.push(`cgroup v2 at ${parent} has no memory controller (controllers: ${controllers.join(' ') || 'none'})`);
      continue;
    }
    const subtree = path.join(parent, 'cgroup.subtree_control');
    if (!(read(subtree) ?? '').split(/\s+/).includes('memory')) {
      try {
        fs.writeFileSync(subtree, '+memory');
      } catch (error) {
        // A non-root cgroup with processes in it cannot hand controllers to children (EBUSY).
        notes.push(`cannot enable memory for children of ${parent}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        continue;
      }
    }
    if (writable(parent, notes)) return { version: 2, parent };
  }
  return undefined;
}

function relativeTo(mount: CgroupMount, cgroupPath: string): string {
  const root = mount.root.replace(/\/+$/, '');
  return root !== '' && (cgroupPath === root || cgroupPath.startsWith(`${root}/`)) ? cgroupPath.slice(root.length) : root === '' ? cgroupPath : '/';
}

function writable(dir: string, notes: string[]): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch (error) {
    notes.push(`${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return false;
  }
}

function setLimit(version: 1 | 2, dir: string, limitBytes: number): void {
  const write = (file: string, value: string | number, optional = false) => {
    const target = path.join(dir, file);
    if (optional && !fs.existsSync(target)) return;
    fs.writeFileSync(target, String(value));
  };
  if (version === 2) {
    write('memory.max', limitBytes);
    write('memory.swap.max', 0, true);
    return;
  }
  write('memory.limit_in_bytes', limitBytes);
  write('memory.memsw.limit_in_bytes', limitBytes, true); // memory + swap: no swap beyond the limit
  try {
    write('memory.swappiness', 0, true);
  } catch {
    // some kernels refuse swappiness below a hierarchy root; memsw above already bars swap where it exists
  }
}

/** Removes empty test cgroups of earlier runs whose process has gone. */
function sweepLeftovers(parent: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^memsafe-test-(\d+)-\d+$/.exec(name);
    if (match === null || Number(match[1]) === process.pid || fs.existsSync(`/proc/${match[1]}`)) continue;
    try {
      fs.rmdirSync(path.join(parent, name));
    } catch {
      // still has processes, or another run's: left alone
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function number(text: string | undefined): number | undefined {
  const value = Number(text?.trim() ?? Number.NaN);
  return text !== undefined && text.trim() !== '' && Number.isFinite(value) ? value : undefined;
}
