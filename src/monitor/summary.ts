// The end-of-watch summary: kept as running totals, so it costs the same after a minute or a month.
import { formatBytes, formatDuration } from '../config/units.js';
import { DEFAULT_CLIMB_OPTIONS } from './climb.js';
import type { Sample } from './sample.js';
import type { TrendReading } from './trend.js';

export type EndReason = 'process_ended' | 'command_exited' | 'duration' | 'guard_terminated' | 'interrupted';

export interface Summary {
  readonly pid: number;
  readonly samples: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly peakBytes: number;
  readonly meanBytes: number;
  readonly endBytes: number;
  readonly peakGpuBytes: number | undefined;
  readonly trend: TrendReading;
  readonly warnings: number;
  readonly actions: number;
  readonly reason: EndReason;
  readonly exitCode: number;
}

export class SummaryAccumulator {
  private samples = 0;
  private sum = 0;
  private peak = 0;
  private last = 0;
  private peakGpu: number | undefined;
  private warnings = 0;
  private actions = 0;

  addSample(sample: Sample): void {
    this.samples++;
    this.sum += sample.rssBytes;
    this.peak = Math.max(this.peak, sample.rssBytes);
    this.last = sample.rssBytes;
    if (typeof sample.gpuBytes === 'number') this.peakGpu = Math.max(this.peakGpu ?? 0, sample.gpuBytes);
  }

  countWarning(): void {
    this.warnings++;
  }

  countAction(): void {
    this.actions++;
  }

  get count(): number {
    return this.samples;
  }

  get peakBytes(): number {
    return this.peak;
  }

  finish(fields: Pick<Summary, 'pid' | 'startedAt' | 'endedAt' | 'trend' | 'reason' | 'exitCode'>): Summary {
    return {
      ...fields,
      samples: this.samples,
      peakBytes: this.peak,
      meanBytes: this.samples === 0 ? 0 : Math.round(this.sum / this.samples),
      endBytes: this.last,
      peakGpuBytes: this.peakGpu,
      warnings: this.warnings,
      actions: this.actions,
    };
  }
}

const REASONS: Record<EndReason, string> = {
  process_ended: 'the process ended',
  command_exited: 'the command exited',
  duration: '--duration elapsed',
  guard_terminated: 'the guard terminated the process at --max',
  interrupted: 'interrupted',
};

export function formatTrend(trend: TrendReading): string {
  if (trend.mbPerMinute === undefined) return trend.samples < DEFAULT_CLIMB_OPTIONS.minSamples ? 'not enough samples yet' : 'no clear climb yet';
  const slope = `${trend.mbPerMinute >= 0 ? '+' : ''}${trend.mbPerMinute.toFixed(1)} MB/min`;
  const notes = [...(trend.climbing ? ['climbing'] : []), ...(trend.leakSuspected ? ['suspected leak'] : [])];
  const forecast = trend.forecastMs === undefined ? '' : trend.forecastMs === 0 ? ', at --max' : `, --max in ~${formatDuration(trend.forecastMs)}`;
  return `${slope}${notes.length === 0 ? '' : ` (${notes.join(', ')})`}${forecast}`;
}

export function formatSummary(summary: Summary): string {
  const lines = [
    `memsafe monitor: pid ${summary.pid}, ${summary.samples} samples over ${formatDuration(summary.endedAt - summary.startedAt)}`,
    `  memory   peak ${formatBytes(summary.peakBytes)} · mean ${formatBytes(summary.meanBytes)} · end ${formatBytes(summary.endBytes)}`,
    `  trend    ${formatTrend(summary.trend)}`,
    `  warnings ${summary.warnings} · actions ${summary.actions}`,
    `  ended    ${REASONS[summary.reason]} (exit ${summary.exitCode})`,
  ];
  if (summary.peakGpuBytes !== undefined) lines.splice(2, 0, `  gpu      peak ${formatBytes(summary.peakGpuBytes)}`);
  return `${lines.join('\n')}\n`;
}
