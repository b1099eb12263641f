// SIGINT/SIGTERM as the CLI delivers them: `stop` asks for a graceful stop, `abort` (second SIGINT) cuts requests.
import type { StopControl, StopReason } from './stop-control.js';

export interface StopSignals {
  /** Graceful stop: stop intake, let requests finish within the grace period, commit. Its reason names the signal. */
  readonly stop: AbortSignal;
  /** Hard stop: abort requests now, commit what finished. */
  readonly abort: AbortSignal;
}

/** Binds the CLI's signals to the run's stop control; returns the unbind function. */
export function bindStopSignals(stops: StopControl, signals: StopSignals): () => void {
  const onStop = (): void => {
    stops.stop(signalReason(signals.stop.reason));
  };
  const onAbort = (): void => stops.abortRequests(signals.abort.reason);
  signals.stop.addEventListener('abort', onStop, { once: true });
  signals.abort.addEventListener('abort', onAbort, { once: true });
  if (signals.stop.aborted) onStop();
  if (signals.abort.aborted) onAbort();
  return () => {
    signals.stop.removeEventListener('abort', onStop);
    signals.abort.removeEventListener('abort', onAbort);
  };
}

function signalReason(reason: unknown): StopReason {
  return reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}
