// The messages between a `--restarts` supervisor and the worker process that runs the engine.

export const WORKER_ENV = 'MEMSAFE_WORKER';
/** Epoch ms by which the worker must stop (--max-runtime counts for the whole command, not per worker). */
export const DEADLINE_ENV = 'MEMSAFE_WORKER_DEADLINE';
/** How the previous worker ended ('oom': SIGKILLed, 'breaker': halted at --max-memory), so the next starts lower. */
export const RESTART_REASON_ENV = 'MEMSAFE_WORKER_RESTART_REASON';

export type WorkerMessage =
  | { readonly type: 'memory'; readonly rss: number }
  | {
      readonly type: 'result';
      readonly exitCode: number;
      readonly stopReason: string | null;
      /** The RSS that made the breaker trip, when it did. */
      readonly rss: number;
      /** The --json summary, printed once by the supervisor instead of once per worker. */
      readonly summary: Record<string, unknown> | null;
    };

export function isWorker(): boolean {
  return process.env[WORKER_ENV] === '1' && typeof process.send === 'function';
}

/** Sends to the supervisor when there is one; never throws (the supervisor may be gone). */
export function tellSupervisor(message: WorkerMessage): void {
  if (!isWorker() || process.connected !== true) return;
  try {
    process.send?.(message);
  } catch {
    // the channel closed between the check and the send: the disconnect handler stops the run
  }
}

export function workerDeadline(): number | undefined {
  const value = Number(process.env[DEADLINE_ENV]);
  return isWorker() && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** RESTART_REASON_ENV in a worker: 'oom' | 'breaker', or undefined for a first worker (or no supervisor). */
export function workerRestartReason(): 'oom' | 'breaker' | undefined {
  const value = process.env[RESTART_REASON_ENV];
  return isWorker() && (value === 'oom' || value === 'breaker') ? value : undefined;
}
