// --max-runtime: a halt (exit 75) once the run has gone on for that long; the same command resumes it.
import type { StopControl } from './stop-control.js';

/** Arms the deadline; returns the disarm function. */
export function armMaxRuntime(stops: StopControl, maxRuntimeMs: number | undefined): () => void {
  if (maxRuntimeMs === undefined) return () => undefined;
  const timer = setTimeout(() => stops.stop('max-runtime', `--max-runtime of ${maxRuntimeMs} ms reached`), maxRuntimeMs);
  timer.unref();
  return () => clearTimeout(timer);
}
