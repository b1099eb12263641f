// SIGINT/SIGTERM handling for long runs: the first signal asks for a graceful stop, a second SIGINT (or any
// signal after it) aborts at once. Both paths still end with a consistent checkpoint.
export type StopSignalName = 'SIGINT' | 'SIGTERM';

export interface StopSignals {
  /** Aborted (reason: the signal name) at the first SIGINT/SIGTERM. */
  readonly stop: AbortSignal;
  /** Aborted at the second signal: in-flight requests are cancelled. */
  readonly abort: AbortSignal;
  /** Acts as if the signal arrived (the supervisor went away). */
  trigger(name: StopSignalName): void;
  /** Removes the handlers; idempotent. */
  dispose(): void;
}

export function watchStopSignals(onSignal: (name: StopSignalName, hard: boolean) => void = () => {}): StopSignals {
  const stop = new AbortController();
  const abort = new AbortController();
  const handle = (name: StopSignalName) => {
    if (!stop.signal.aborted) {
      stop.abort(name);
      onSignal(name, false);
    } else if (!abort.signal.aborted) {
      abort.abort(name);
      onSignal(name, true);
    }
  };
  const onInt = () => handle('SIGINT');
  const onTerm = () => handle('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    stop: stop.signal,
    abort: abort.signal,
    trigger: handle,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
