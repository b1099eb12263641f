// A process and its descendants, read from /proc: new children are picked up on every scan.
import fs from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, D, Z (zombie), X (dead), T... */
  readonly state: string;
}

/** `/proc/<pid>/stat`: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  const open = text.indexOf('(');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const [state, ppidText] = text.slice(close + 1).trim().split(' ');
  const ppid = Number(ppidText);
  if (!Number.isInteger(pid) || state === undefined || state === '' || !Number.isInteger(ppid)) return undefined;
  return { pid, ppid, state };
}

export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function isGone(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

export type Liveness = 'running' | 'gone' | 'not-permitted';

/** Whether the process still runs; a zombie has ended even though its parent has not reaped it yet. */
export function processLiveness(pid: number, procRoot = '/proc'): Liveness {
  const stat = readProcStat(pid, procRoot);
  if (stat !== undefined) return isGone(stat) ? 'gone' : 'running';
  try {
    process.kill(pid, 0);
    return 'running';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'not-permitted' : 'gone';
  }
}

/** Every live process, or undefined where there is no /proc to read. */
export function listProcesses(procRoot = '/proc'): ProcStat[] | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch {
    return undefined;
  }
  const processes: ProcStat[] = [];
  for (const name of names) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue; // only numeric entries are processes
    const stat = readProcStat(Number(name), procRoot);
    if (stat !== undefined && !isGone(stat)) processes.push(stat);
  }
  return processes;
}

/** The root followed by all its descendants (breadth first), from a process table. */
export function treeOf(root: number, processes: Iterable<Pick<ProcStat, 'pid' | 'ppid'>>): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processes) {
    const siblings = children.get(ppid);
    if (siblings === undefined) children.set(ppid, [pid]);
    else siblings.push(pid);
  }
  const tree = [root];
  const seen = new Set(tree);
  for (let index = 0; index < tree.length; index++) {
    for (const child of children.get(tree[index] as number) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      tree.push(child);
    }
  }
  return tree;
}

/** The pids to sample: the root alone, or with every descendant alive right now. */
export function processTree(root: number, procRoot = '/proc'): number[] {
  const processes = listProcesses(procRoot);
  return processes === undefined ? [root] : treeOf(root, processes);
}
