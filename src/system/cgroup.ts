// Reads a memory cgroup's files, v2 or v1, into one shape. Every reader returns undefined where a file is absent;
// the parsers are pure. Where the cgroup is: cgroup-location.ts.
import fs from 'node:fs';
import type { MemoryCgroup } from './cgroup-location.js';

export { findMemoryCgroup, type MemoryCgroup } from './cgroup-location.js';

/** v1 writes "no limit" as the largest page-aligned counter (9223372036854771712 on 4 KiB pages): anything this big is none. */
const NO_LIMIT = 2 ** 60;

/**
 * The limit of the cgroup: the smallest of its own and its ancestors' up to the mount point (v2 `memory.max`,
 * v1 `memory.limit_in_bytes`, and v1's `hierarchical_memory_limit`, which also counts ancestors a container
 * cannot see). Undefined when unlimited.
 */
export function readCgroupLimit(cgroup: MemoryCgroup | undefined): number | undefined {
  if (cgroup === undefined) return undefined;
  const file = cgroup.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  let limit: number | undefined;
  const lower = (value: number | undefined) => {
    if (value !== undefined && (limit === undefined || value < limit)) limit = value;
  };
  let current = cgroup.dir;
  for (;;) {
    lower(parseLimit(readText(`${current}/${file}`)));
    if (current === cgroup.mountPoint || !current.startsWith(`${cgroup.mountPoint}/`)) break;
    current = current.slice(0, current.lastIndexOf('/'));
  }
  if (cgroup.version === 1) lower(parseLimit(String(parseKeyValues(readText(`${cgroup.dir}/memory.stat`)).get('hierarchical_memory_limit') ?? '')));
  return limit;
}

/** A limit file's value: v2 "max" and v1's huge sentinel are no limit. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === '' || value === 'max') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 && parsed < NO_LIMIT ? parsed : undefined;
}

export function readText(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Bytes charged to the cgroup, page cache included: v2 `memory.current`, v1 `memory.usage_in_bytes`. */
export function readMemoryCurrent(cgroup: MemoryCgroup | undefined): number | undefined {
  if (cgroup === undefined) return undefined;
  return readNumber(`${cgroup.dir}/${cgroup.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'}`);
}

/** The most the cgroup has been charged: v2 `memory.peak` (kernel 5.19+), v1 `memory.max_usage_in_bytes`. */
export function readMemoryPeak(cgroup: MemoryCgroup | undefined): number | undefined {
  if (cgroup === undefined) return undefined;
  return readNumber(`${cgroup.dir}/${cgroup.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes'}`);
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
 * The working set as the kubelet counts it: usage minus the inactive page cache (v2 `inactive_file`, v1
 * `total_inactive_file`, which includes descendants as usage does), i.e. what the kernel cannot simply drop
 * before it invokes the OOM killer.
 */
export function readWorkingSet(cgroup: MemoryCgroup | undefined): number | undefined {
  const current = readMemoryCurrent(cgroup);
  if (current === undefined || cgroup === undefined) return undefined;
  return workingSet(current, parseKeyValues(readText(`${cgroup.dir}/memory.stat`)), cgroup.version);
}

export function workingSet(currentBytes: number, stat: ReadonlyMap<string, number>, version: 1 | 2): number {
  const inactiveFile = (version === 1 ? stat.get('total_inactive_file') : undefined) ?? stat.get('inactive_file') ?? 0;
  return Math.max(0, currentBytes - inactiveFile);
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

/**
 * v1 has no memory.events: `memory.oom_control` counts the OOM kills (kernel 4.13+) and `memory.failcnt` the
 * times usage hit the limit. There is no memory.high in v1, and no separate count of OOMs: each is one kill.
 */
export function parseOomControl(oomControl: string | undefined, failcnt: string | undefined): CgroupMemoryEvents | undefined {
  const oomKill = parseKeyValues(oomControl).get('oom_kill');
  if (oomKill === undefined) return undefined;
  const max = Number(failcnt?.trim() ?? Number.NaN);
  return { high: 0, max: Number.isFinite(max) ? max : 0, oom: oomKill, oomKill };
}

export function readMemoryEvents(cgroup: MemoryCgroup | undefined): CgroupMemoryEvents | undefined {
  if (cgroup === undefined) return undefined;
  if (cgroup.version === 2) return parseMemoryEvents(readText(`${cgroup.dir}/memory.events`));
  return parseOomControl(readText(`${cgroup.dir}/memory.oom_control`), readText(`${cgroup.dir}/memory.failcnt`));
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

/** PSI of the cgroup (v2 `memory.pressure`; v1 has none), else of the whole system (`/proc/pressure/memory`). */
export function readMemoryPressure(cgroup: MemoryCgroup | undefined, systemFile = '/proc/pressure/memory'): MemoryPressure | undefined {
  const own = cgroup?.version === 2 ? parsePressure(readText(`${cgroup.dir}/memory.pressure`), 'cgroup') : undefined;
  return own ?? parsePressure(readText(systemFile), 'system');
}
