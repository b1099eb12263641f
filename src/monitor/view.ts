// The live terminal view as a pure function of the monitor's state: lines in, the caller draws them in place.
import { formatBytes, formatDuration } from '../config/units.js';
import type { MonitorEvent, Sample } from './sample.js';
import { formatTrend } from './summary.js';
import { renderTerminalChart } from './terminal-chart.js';
import type { TrendReading } from './trend.js';

export interface ViewState {
  readonly pid: number;
  /** The started command, for the title. */
  readonly command?: string;
  readonly startedAt: number;
  readonly now: number;
  readonly samples: number;
  readonly latest: Sample | undefined;
  readonly peakBytes: number;
  readonly limitBytes: number;
  readonly limitSource: 'cgroup' | 'physical';
  readonly warnBytes: number;
  readonly maxBytes: number;
  readonly action: string;
  readonly trend: TrendReading;
  /** Recent readings, oldest first. */
  readonly recent: readonly number[];
  /** Latest events, oldest first. */
  readonly events: readonly MonitorEvent[];
}

export interface Screen {
  readonly columns: number;
  readonly rows: number;
  readonly colors: boolean;
}

const EVENT_LINES = 5;

export function renderView(state: ViewState, screen: Screen): string[] {
  const latest = state.latest;
  const title = `memsafe monitor · pid ${state.pid}${state.command === undefined ? '' : ` (${state.command})`} · ${seconds(state.now - state.startedAt)} · ${state.samples} samples`;
  const lines = [title];
  if (latest === undefined) lines.push('memory   waiting for the first sample');
  else {
    lines.push(
      `memory   ${formatBytes(latest.rssBytes)} now · peak ${formatBytes(state.peakBytes)} · limit ${formatBytes(state.limitBytes)} (${state.limitSource}) · ${percent(latest.rssBytes, state.limitBytes)} of limit`,
      `cpu      ${latest.cpu.toFixed(1)}% · ${latest.procs} process${latest.procs === 1 ? '' : 'es'}`,
    );
  }
  lines.push(`guard    warn ${formatBytes(state.warnBytes)} · max ${formatBytes(state.maxBytes)} · action ${state.action}`);
  lines.push(`trend    ${formatTrend(state.trend)}`);
  const extra = latest === undefined ? undefined : detailLine(latest);
  if (extra !== undefined) lines.push(extra);

  const chartHeight = Math.min(16, Math.max(4, screen.rows - lines.length - EVENT_LINES - 4));
  lines.push('');
  lines.push(
    ...renderTerminalChart({
      values: state.recent,
      warnBytes: state.warnBytes,
      maxBytes: state.maxBytes,
      width: screen.columns,
      height: chartHeight,
      colors: screen.colors,
    }),
  );
  lines.push('', 'events');
  const events = state.events.slice(-EVENT_LINES);
  if (events.length === 0) lines.push('  (none)');
  for (const event of events) lines.push(`  +${seconds(event.t - state.startedAt).padEnd(5)} ${event.kind.padEnd(15)} ${event.message}`);
  lines.push('', 'Ctrl-C stops watching');
  return lines.map((line) => fit(line, screen.columns));
}

/** Elapsed time to the second: "0s", "12s", "3m". */
function seconds(milliseconds: number): string {
  const whole = Math.floor(Math.max(0, milliseconds) / 1000) * 1000;
  return whole === 0 ? '0s' : formatDuration(whole);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '?';
}

function detailLine(sample: Sample): string | undefined {
  const parts: string[] = [];
  const cgroup = sample.cgroup;
  if (cgroup?.workingSetBytes !== undefined) {
    parts.push(`cgroup working set ${formatBytes(cgroup.workingSetBytes)}${cgroup.limitBytes === undefined ? '' : ` of ${formatBytes(cgroup.limitBytes)}`}`);
  }
  if (cgroup?.events !== undefined && cgroup.events.oomKill > 0) parts.push(`${cgroup.events.oomKill} OOM kills`);
  if (sample.pressure !== undefined) parts.push(`pressure ${sample.pressure.someAvg10.toFixed(2)}% (${sample.pressure.scope})`);
  if (sample.gpuBytes !== undefined) parts.push(`gpu ${sample.gpuBytes === null ? 'N/A' : formatBytes(sample.gpuBytes)}`);
  return parts.length === 0 ? undefined : `system   ${parts.join(' · ')}`;
}

/** Cuts a line to the screen width; lines with colour codes (the chart) are left whole. */
function fit(line: string, columns: number): string {
  if (line.includes('\u001b[')) return line;
  return [...line].length > columns ? `${[...line].slice(0, Math.max(1, columns - 1)).join('')}…` : line;
}

/** Cursor home, each line cleared to its end, and the rest of the screen cleared: a redraw without flicker. */
export function frame(lines: readonly string[]): string {
  return `\u001b[H${lines.map((line) => `${line}\u001b[K`).join('\n')}\n\u001b[J`;
}
