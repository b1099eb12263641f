// The columns every "contender on an input" table shares, so scenarios print their runs the same way.
import { formatCount, formatMb, formatRate, formatSeconds, markdownTable } from './report.mjs';

export const RUN_HEADERS = ['records/s', 'peak RSS (VmHWM)', 'peak RSS (self-reported)', 'wall s', 'CPU s', 'server CPU s', 'requests', 'done'];

/** The RUN_HEADERS cells of one measured run (runOnce/runCell), `n/a` for the numbers of a failed run. */
export function runCells(result) {
  const failed = result.failure !== undefined;
  return [
    failed ? 'n/a' : formatRate(result.recordsPerSecond),
    failed ? 'n/a' : formatMb(result.peakRssBytes),
    result.selfPeakRssBytes === undefined ? '—' : formatMb(result.selfPeakRssBytes),
    formatSeconds(result.wallMs),
    formatSeconds(result.cpuMs),
    formatSeconds(result.serverCpuMs),
    formatCount(result.requests),
    formatCount(result.done),
  ];
}

export function runNote(result) {
  return result.failure ?? (result.runs > 1 ? `median of ${result.runs}` : '');
}

/** A result that finished cleanly, else undefined (so a failed run never counts as a figure). */
export function ok(result) {
  return result !== undefined && result.failure === undefined ? result : undefined;
}

/** `[target, measured, met]` rows as a table, or '' when there are none. */
export function targetsTable(rows) {
  return rows.length === 0 ? '' : markdownTable(['target', 'measured', 'met'], rows);
}
