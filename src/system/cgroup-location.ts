// Where a process's memory cgroup lives, on cgroup v2 or v1: /proc/PID/cgroup names its path in each
// hierarchy, /proc/self/mountinfo names where each hierarchy is mounted. The parsing is pure; the lookup reads.
import fs from 'node:fs';

export type CgroupVersion = 1 | 2;

/** A memory cgroup: its directory and the mount point its ancestors are walked up to. */
export interface MemoryCgroup {
  readonly version: CgroupVersion;
  readonly dir: string;
  readonly mountPoint: string;
}

/** A mounted cgroup hierarchy, from one line of mountinfo. */
export interface CgroupMount {
  readonly version: CgroupVersion;
  readonly mountPoint: string;
  /** The path inside the hierarchy that is mounted there ("/" unless a container sees only its own part). */
  readonly root: string;
  /** v1 controllers of the hierarchy ("memory", "cpu"...); empty for v2. */
  readonly controllers: readonly string[];
}

/** A process's cgroup paths: the v2 one ("0::/path") and one per v1 controller ("4:memory:/path"). */
export interface ProcCgroup {
  readonly v2Path: string | undefined;
  readonly v1Paths: ReadonlyMap<string, string>;
}

export interface CgroupLookup {
  /** The mounted hierarchies; read from /proc/self/mountinfo when absent. */
  readonly mounts?: readonly CgroupMount[];
  /** The text of /proc/PID/cgroup; read when absent. */
  readonly procCgroup?: string;
}

/** Where the hierarchies usually are when mountinfo cannot be read. */
const USUAL_MOUNTS: readonly CgroupMount[] = [
  { version: 2, mountPoint: '/sys/fs/cgroup', root: '/', controllers: [] },
  { version: 2, mountPoint: '/sys/fs/cgroup/unified', root: '/', controllers: [] },
  { version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/', controllers: ['memory'] },
];

export function parseProcCgroup(text: string): ProcCgroup {
  let v2Path: string | undefined;
  const v1Paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id, controllers = '', path = ''] = match;
    if (id === '0' && controllers === '') v2Path = path;
    else for (const controller of controllers.split(',')) if (controller !== '') v1Paths.set(controller, path);
  }
  return { v2Path, v1Paths };
}

/** mountinfo: `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`. */
export function parseMountInfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    const fsType = fields[dash + 1];
    const root = unescapeMountPath(fields[3] ?? '/');
    const mountPoint = unescapeMountPath(fields[4] ?? '');
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint, root, controllers: [] });
    else if (fsType === 'cgroup') {
      const superOptions = (fields[dash + 3] ?? '').split(',');
      mounts.push({ version: 1, mountPoint, root, controllers: superOptions.filter((option) => option !== 'rw' && option !== 'ro') });
    }
  }
  return mounts;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_escape, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * The directories the process's memory cgroup may be at, most likely first: v2 before v1. A container that
 * mounts only its own part of a hierarchy (root "/docker/ID") sees its cgroup at the mount point itself.
 */
export function memoryCgroupCandidates(proc: ProcCgroup, mounts: readonly CgroupMount[]): MemoryCgroup[] {
  const candidates: MemoryCgroup[] = [];
  const add = (version: CgroupVersion, mount: CgroupMount, path: string) => {
    for (const dir of dirsFor(mount, path)) candidates.push({ version, dir, mountPoint: mount.mountPoint });
  };
  if (proc.v2Path !== undefined) for (const mount of mounts.filter((entry) => entry.version === 2)) add(2, mount, proc.v2Path);
  const v1Path = proc.v1Paths.get('memory');
  if (v1Path !== undefined) for (const mount of mounts.filter((entry) => entry.version === 1 && entry.controllers.includes('memory'))) add(1, mount, v1Path);
  return candidates;
}

function dirsFor(mount: CgroupMount, path: string): string[] {
  const join = (relative: string) => `${mount.mountPoint}${relative}`.replace(/\/+$/, '') || '/';
  const root = mount.root.replace(/\/+$/, '');
  if (root === '') return [join(path)];
  if (path === root || path.startsWith(`${root}/`)) return [join(path.slice(root.length))];
  return [join(path), mount.mountPoint];
}

/** Whether a directory is a memory cgroup of that version: v2 with the memory controller on, or v1 memory. */
export function isMemoryCgroup(candidate: MemoryCgroup, exists: (path: string) => boolean = fs.existsSync): boolean {
  const { dir } = candidate;
  if (candidate.version === 2) return exists(`${dir}/memory.current`) || exists(`${dir}/memory.max`);
  return exists(`${dir}/memory.usage_in_bytes`);
}

/** The memory cgroup of a process (`self` for this one), or undefined outside any (or where it cannot be read). */
export function findMemoryCgroup(pid: number | 'self', lookup: CgroupLookup = {}): MemoryCgroup | undefined {
  const procText = lookup.procCgroup ?? readOrUndefined(`/proc/${pid}/cgroup`);
  if (procText === undefined) return undefined;
  const mounts = lookup.mounts ?? readMounts();
  return memoryCgroupCandidates(parseProcCgroup(procText), mounts).find((candidate) => isMemoryCgroup(candidate));
}

function readMounts(): readonly CgroupMount[] {
  const text = readOrUndefined('/proc/self/mountinfo');
  const mounts = text === undefined ? [] : parseMountInfo(text);
  return mounts.length > 0 ? mounts : USUAL_MOUNTS;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
