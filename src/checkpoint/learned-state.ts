// What a run learned about the server and its answers, kept in the checkpoint's meta table ('learned', JSON), so a
// fresh worker after an OOM kill or a breaker halt starts from it instead of ramping to --concurrency again.
import type Database from 'better-sqlite3';

export const LEARNED_KEY = 'learned';

export interface LearnedState {
  readonly version: 1;
  /** The adaptive concurrency limit reached (requests in flight). */
  readonly concurrency?: number;
  /** Embeddings: texts per request in use. */
  readonly packSize?: number;
  /** The answer-size estimator's snapshot (src/admission/size-estimator.ts); opaque here, it validates its own. */
  readonly sizes?: unknown;
  /** The most in-flight bytes reserved at once (`memory.inflight_peak_bytes`), for `status`. */
  readonly inflightPeakBytes?: number;
  /** ms since epoch. */
  readonly updatedAt: number;
}

/** The state stored by an earlier run, or undefined when there is none or it cannot be read (never trusted blindly). */
export function readLearnedState(db: Database.Database): LearnedState | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(LEARNED_KEY) as { value: string } | undefined;
  if (row === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== 1) return undefined;
  const value = parsed as Record<string, unknown>;
  const count = (field: unknown): number | undefined => (typeof field === 'number' && Number.isInteger(field) && field >= 1 ? field : undefined);
  const bytes = (field: unknown): number | undefined => (typeof field === 'number' && Number.isFinite(field) && field >= 0 ? field : undefined);
  return omitUndefined({
    version: 1,
    concurrency: count(value['concurrency']),
    packSize: count(value['packSize']),
    sizes: value['sizes'] ?? undefined,
    inflightPeakBytes: bytes(value['inflightPeakBytes']),
    updatedAt: bytes(value['updatedAt']) ?? 0,
  });
}

/** Replaces the stored state (one small row; cheap enough to write at every commit of a batch). */
export function writeLearnedState(db: Database.Database, state: Omit<LearnedState, 'version' | 'updatedAt'>, nowMs = Date.now()): void {
  const value = JSON.stringify({ ...state, version: 1, updatedAt: nowMs });
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(LEARNED_KEY, value);
}

function omitUndefined(state: { [K in keyof LearnedState]: LearnedState[K] | undefined }): LearnedState {
  return Object.fromEntries(Object.entries(state).filter(([, field]) => field !== undefined)) as unknown as LearnedState;
}
