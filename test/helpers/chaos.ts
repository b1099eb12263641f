// Shared pieces of the fault and crash suite (test/e2e/chaos-*.test.ts): bounded waits on child processes,
// a tag on every request of a run so the server can tell runs apart, seeded randomness, and checkpoint checks.
import type { ChildProcess } from 'node:child_process';
import { collect, type CliResult } from './cli.js';
import { query } from './checkpoint.js';
import type { RecordedRequest } from './fault-server.js';

/** Sent by every request of a tagged run (memsafe passes `--header` through), recorded by the fault server. */
export const RUN_HEADER = 'x-chaos-run';

export function tagArgs(tag: string | number): string[] {
  return ['--header', `${RUN_HEADER}: ${tag}`];
}

export function requestsTagged(requests: readonly RecordedRequest[], tag: string | number): RecordedRequest[] {
  return requests.filter((request) => request.headers[RUN_HEADER] === String(tag));
}

/**
 * collect() with a deadline, so a run that never ends fails its test instead of hanging the suite.
 * The deadline is a safety net, never the assertion: the tests check exit codes and checkpoints.
 */
export async function finish(child: ChildProcess, limitMs = 45_000): Promise<CliResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limitMs);
  try {
    const result = await collect(child);
    if (timedOut) throw new Error(`memsafe (pid ${child.pid}) did not exit within ${limitMs} ms; stderr:\n${result.stderr.slice(-2000)}`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** mulberry32: a tiny seeded generator, so a chaos test replays the same way for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `PRAGMA integrity_check` of a checkpoint: "ok" when SQLite finds nothing wrong. */
export function integrity(db: string): string {
  return query<{ integrity_check: string }>(db, 'PRAGMA integrity_check')
    .map((row) => row.integrity_check)
    .join('; ');
}

export function doneIds(db: string): Set<string> {
  return new Set(query<{ id: string }>(db, "SELECT id FROM records WHERE status = 'done'").map((row) => row.id));
}

/** Done records whose response row is missing: a done record must always have its answer. */
export function doneWithoutResponse(db: string): string[] {
  return query<{ id: string }>(db, "SELECT r.id FROM records r LEFT JOIN responses p ON p.hash = r.hash WHERE r.status = 'done' AND p.hash IS NULL").map(
    (row) => row.id,
  );
}

export function countByStatus(db: string): { done: number; failed: number } {
  const rows = query<{ status: 'done' | 'failed'; n: number }>(db, 'SELECT status, count(*) AS n FROM records GROUP BY status');
  return { done: rows.find((row) => row.status === 'done')?.n ?? 0, failed: rows.find((row) => row.status === 'failed')?.n ?? 0 };
}

export function runRows(db: string): { status: string; exit_code: number | null; pid: number }[] {
  return query(db, 'SELECT status, exit_code, pid FROM runs ORDER BY id');
}
