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

/** `memory.current`: bytes charged to the cgroup (page cache included). */
export function readMemoryCurrent(dir: string | undefined): number | undefined {
  if (dir === undefined) return undefined;
  const value = Number(readText(`${dir}/memory.current`)?.trim() ?? Number.NaN);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** `key value` lines as in memory.stat and memory.events; lines that are not a key and a number are skipped. */
export function parseKeyValues(text: string | undefined): Map<string, number> {
  const values = new Map<string, number>();
  if (text === undefined) return values;
  for (const line of text.split('\n')) {
    const [key, raw, extra] = line.trim().split(/\s+/);
    const value = Number(raw);
    if (key !== undefined && key !== '' && raw !== undefined && extra === undefined && Number.isFinite(value)) values.set(key, value);
  }
  return values;
}

/**
 * The working set as the kubelet counts it: `memory.current` minus `inactive_file` from memory.stat,
 * i.e. the memory the kernel cannot simply drop before it invokes the OOM killer.
 */
export function readWorkingSet(dir: string | undefined): number | undefined {
  const current = readMemoryCurrent(dir);
  if (current === undefined || dir === undefined) return undefined;
  const inactiveFile = parseKeyValues(readText(`${dir}/memory.stat`)).get('inactive_file') ?? 0;
  return Math.max(0, current - inactiveFile);
}

export interface CgroupMemoryEvents {
  /** Times usage went over memory.high (throttled). */
  readonly high: number;
  /** Times usage reached memory.max. */
  readonly max: number;
  readonly oom: number;
  /** Processes the OOM killer ended in this cgroup. */
  readonly oomKill: number;
}

export function parseMemoryEvents(text: string | undefined): CgroupMemoryEvents | undefined {
  if (text === undefined) return undefined;
  const values = parseKeyValues(text);
  if (values.size === 0) return undefined;
  return {
    high: values.get('high') ?? 0,
    max: values.get('max') ?? 0,
    oom: values.get('oom') ?? 0,
    oomKill: values.get('oom_kill') ?? 0,
  };
}

export function readMemoryEvents(dir: string | undefined): CgroupMemoryEvents | undefined {
  return dir === undefined ? undefined : parseMemoryEvents(readText(`${dir}/memory.events`));
}

export interface MemoryPressure {
  /** Share of the last 10 s in which some task waited on memory, in percent. */
  readonly someAvg10: number;
  /** Share of the last 10 s in which all tasks waited on memory, in percent (absent on old kernels). */
  readonly fullAvg10: number | undefined;
  readonly scope: 'cgroup' | 'system';
}

/** PSI text: `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and an optional `full ...` line. */
export function parsePressure(text: string | undefined, scope: MemoryPressure['scope']): MemoryPressure | undefined {
  if (text === undefined) return undefined;
  let some: number | undefined;
  let full: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^(some|full)\s.*\bavg10=(\d+(?:\.\d+)?)/.exec(line.trim());
    if (match === null) continue;
    if (match[1] === 'some') some = Number(match[2]);
    else full = Number(match[2]);
  }
  return some === undefined ? undefined : { someAvg10: some, fullAvg10: full, scope };
}

/** PSI of the cgroup (`memory.pressure`), else of the whole system (`/proc/pressure/memory`). */
export function readMemoryPressure(dir: string | undefined, systemFile = '/proc/pressure/memory'): MemoryPressure | undefined {
  const cgroup = dir === undefined ? undefined : parsePressure(readText(`${dir}/memory.pressure`), 'cgroup');
  return cgroup ?? parsePressure(readText(systemFile), 'system');
}
