// The --plot file: memory over time with --warn, --max and the events marked, as SVG or as an HTML page.
import { formatBytes, formatDuration } from '../config/units.js';
import { type ChartMarker, type ChartSeries, type ChartSpec, renderSvgChart } from './chart.js';
import { renderHtmlPage, renderTable } from './html-page.js';
import type { EventKind, MonitorEvent } from './sample.js';
import { type Summary, formatTrend } from './summary.js';
import { writeFileAtomic } from './write-atomic.js';

export interface PlotPoint {
  readonly t: number;
  readonly rss: number;
  readonly workingSet?: number;
  readonly gpu?: number;
}

/** Two neighbours become one: the earlier time and the peaks (thresholds are about peaks). */
export function mergePlotPoints(earlier: PlotPoint, later: PlotPoint): PlotPoint {
  const workingSet = maxDefined(earlier.workingSet, later.workingSet);
  const gpu = maxDefined(earlier.gpu, later.gpu);
  return {
    t: earlier.t,
    rss: Math.max(earlier.rss, later.rss),
    ...(workingSet === undefined ? {} : { workingSet }),
    ...(gpu === undefined ? {} : { gpu }),
  };
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

export type PlotFormat = 'svg' | 'html';

export function plotFormat(file: string): PlotFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return undefined;
}

export const COLORS = {
  rss: '#1f6feb',
  workingSet: '#2da44e',
  gpu: '#8250df',
  heap: '#9a6700',
  warn: '#d4a72c',
  max: '#cf222e',
  action: '#82071e',
  leak: '#8250df',
  other: '#6e7781',
} as const;

const MARKER_COLORS: Partial<Record<EventKind, string>> = {
  warn: COLORS.warn,
  max: COLORS.max,
  action: COLORS.action,
  grace_over: COLORS.other,
  leak_suspected: COLORS.leak,
  cgroup_oom_kill: COLORS.action,
};

export interface MonitorPlot {
  readonly pid: number;
  readonly points: readonly PlotPoint[];
  /** How many samples the points stand for (more than points once they were merged). */
  readonly sampleCount: number;
  readonly events: readonly MonitorEvent[];
  readonly warnBytes: number;
  readonly maxBytes: number;
  readonly startedAt: number;
  readonly summary?: Summary;
}

export function monitorChart(plot: MonitorPlot): ChartSpec {
  const series: ChartSeries[] = [{ name: 'RSS', color: COLORS.rss, points: plot.points.map((point) => [point.t, point.rss] as const) }];
  const workingSet = plot.points.flatMap((point) => (point.workingSet === undefined ? [] : [[point.t, point.workingSet] as const]));
  if (workingSet.length > 0) series.push({ name: 'cgroup working set', color: COLORS.workingSet, points: workingSet });
  const gpu = plot.points.flatMap((point) => (point.gpu === undefined ? [] : [[point.t, point.gpu] as const]));
  if (gpu.length > 0) series.push({ name: 'GPU', color: COLORS.gpu, points: gpu });
  const markers: ChartMarker[] = [];
  for (const event of plot.events) {
    const color = MARKER_COLORS[event.kind];
    const signal = event.detail?.signal;
    const tag = event.kind === 'action' && typeof signal === 'string' ? signal : event.kind.replace('_', ' ');
    if (color !== undefined) markers.push({ t: event.t, label: event.message, tag, color });
  }
  return {
    title: `Memory of pid ${plot.pid}`,
    series,
    formatValue: formatBytes,
    valueUnit: 1024 * 1024,
    thresholds: [
      { label: 'warn', value: plot.warnBytes, color: COLORS.warn },
      { label: 'max', value: plot.maxBytes, color: COLORS.max },
    ],
    markers,
    origin: plot.startedAt,
  };
}

export function renderPlot(plot: MonitorPlot, format: PlotFormat): string {
  const spec = monitorChart(plot);
  if (format === 'svg') return `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvgChart(spec, { standalone: true })}\n`;
  const body = [renderSvgChart(spec, { standalone: false })];
  const { summary } = plot;
  if (summary !== undefined) {
    body.push(
      renderTable(
        ['samples', 'peak', 'mean', 'end', 'trend', 'warnings', 'actions', 'ended'],
        [[summary.samples, formatBytes(summary.peakBytes), formatBytes(summary.meanBytes), formatBytes(summary.endBytes), formatTrend(summary.trend), summary.warnings, summary.actions, summary.reason]],
      ),
    );
  }
  const events = plot.events.map((event) => [formatDuration(event.t - plot.startedAt), event.kind, event.message] as const);
  const sections = [{ heading: `pid ${plot.pid}`, body }];
  if (events.length > 0) sections.push({ heading: 'Events', body: [renderTable(['at', 'kind', 'what'], events)] });
  return renderHtmlPage({
    title: `memsafe monitor: pid ${plot.pid}`,
    subtitle: `${plot.sampleCount} samples from ${new Date(plot.startedAt).toISOString()}`,
    sections,
  });
}

export function writePlot(file: string, plot: MonitorPlot): void {
  writeFileAtomic(file, renderPlot(plot, plotFormat(file) ?? 'html'), '--plot');
}
