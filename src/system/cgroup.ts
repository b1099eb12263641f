// Reads a process's cgroup v2 memory files. Every reader returns undefined where the file is absent.
import fs from 'node:fs';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup v2 directory of a process (`self` for this one), or undefined outside cgroup v2. */
export function cgroupDir(pid: number | 'self', root = CGROUP_ROOT): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  // cgroup v2 has a single line "0::/path".
  const line = text.split('\n').find((entry) => entry.startsWith('0::'));
  if (line === undefined) return undefined;
  const dir = `${root}${line.slice(3).trim()}`.replace(/\/$/, '');
  return fs.existsSync(`${dir}/memory.current`) || fs.existsSync(`${dir}/memory.max`) ? dir : undefined;
}

/** `memory.max` of the cgroup or its nearest limited ancestor; undefined when unlimited ("max"). */
export function readCgroupLimit(dir: string | undefined, root = CGROUP_ROOT): number | undefined {
  let current = dir;
  while (current !== undefined && current.startsWith(root)) {
    const limit = parseMemoryMax(readText(`${current}/memory.max`));
    if (limit !== undefined) return limit;
    if (current === root) break;
    current = current.slice(0, current.lastIndexOf('/')) || root;
  }
  return undefined;
}

export function parseMemoryMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === '' || value === 'max') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
}

export function readText(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
