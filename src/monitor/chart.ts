// Self-contained SVG line charts (no scripts, no fonts, no network), shared by `monitor --plot` and `report`.
import { formatDuration } from '../config/units.js';

export type ChartPoint = readonly [t: number, value: number];

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly ChartPoint[];
  /** Hold each value until the next point (batch sizes, concurrency). */
  readonly step?: boolean;
}

/** A horizontal line: --warn, --max, a limit. */
export interface ChartThreshold {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

/** A vertical line at a moment: an event. */
export interface ChartMarker {
  readonly t: number;
  readonly label: string;
  /** A word written above the line (warn, SIGTERM...); the full label is its tooltip. */
  readonly tag?: string;
  readonly color: string;
}

/** A shaded time span: a governor state. */
export interface ChartBand {
  readonly from: number;
  readonly to: number;
  readonly label: string;
  readonly color: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly formatValue: (value: number) => string;
  readonly thresholds?: readonly ChartThreshold[];
  readonly markers?: readonly ChartMarker[];
  readonly bands?: readonly ChartBand[];
  /** Gridlines fall on round multiples of this (1 MiB for bytes, so they read 50 MB rather than 47.7 MB). */
  readonly valueUnit?: number;
  /** Time labels count from here (default: the first point). */
  readonly origin?: number;
  readonly width?: number;
  readonly height?: number;
}

export interface SvgOptions {
  /** A file of its own needs the SVG namespace; inline in HTML it must not name any URL. */
  readonly standalone: boolean;
}

const MARGIN = { left: 78, right: 24, top: 34, bottom: 58 };
const Y_TICKS = 5;
const X_TICKS = 6;
const MAX_TAGGED_MARKERS = 12;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A round step (1, 2 or 5 x 10^n) that splits `range` into about `count` parts. */
export function niceStep(range: number, count: number): number {
  if (!(range > 0)) return 1;
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function round(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

interface Frame {
  readonly x: (t: number) => number;
  readonly y: (value: number) => number;
  readonly t0: number;
  readonly t1: number;
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

function frameOf(spec: ChartSpec, width: number, height: number): Frame & { yMax: number; yStep: number } {
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  let yMax = 0;
  for (const series of spec.series) {
    for (const [t, value] of series.points) {
      t0 = Math.min(t0, t);
      t1 = Math.max(t1, t);
      yMax = Math.max(yMax, value);
    }
  }
  for (const threshold of spec.thresholds ?? []) yMax = Math.max(yMax, threshold.value);
  for (const marker of spec.markers ?? []) {
    t0 = Math.min(t0, marker.t);
    t1 = Math.max(t1, marker.t);
  }
  if (!Number.isFinite(t0)) t0 = t1 = spec.origin ?? 0;
  if (spec.origin !== undefined) t0 = Math.min(t0, spec.origin);
  if (t1 <= t0) t1 = t0 + 1000;
  const unit = spec.valueUnit ?? 1;
  const yStep = niceStep((yMax > 0 ? yMax : unit) / unit, Y_TICKS) * unit;
  const yTop = Math.max(yStep, Math.ceil((yMax * 1.02) / yStep) * yStep);
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  return {
    t0,
    t1,
    left,
    right,
    top,
    bottom,
    yMax: yTop,
    yStep,
    x: (t) => left + ((t - t0) / (t1 - t0)) * (right - left),
    y: (value) => bottom - (value / yTop) * (bottom - top),
  };
}

function polylinePoints(series: ChartSeries, frame: Frame): string {
  const coordinates: string[] = [];
  let previous: number | undefined;
  for (const [t, value] of series.points) {
    if (series.step === true && previous !== undefined) coordinates.push(`${round(frame.x(t))},${round(frame.y(previous))}`);
    coordinates.push(`${round(frame.x(t))},${round(frame.y(value))}`);
    previous = value;
  }
  return coordinates.join(' ');
}

export function renderSvgChart(spec: ChartSpec, options: SvgOptions): string {
  const width = spec.width ?? 960;
  const height = spec.height ?? 320;
  const frame = frameOf(spec, width, height);
  const origin = spec.origin ?? frame.t0;
  const out: string[] = [];
  const namespace = options.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(
    `<svg${namespace} class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(spec.title)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${frame.left}" y="20" font-size="14" font-weight="bold" fill="#222222">${escapeXml(spec.title)}</text>`,
  );
  for (const band of spec.bands ?? []) {
    const x0 = frame.x(Math.max(band.from, frame.t0));
    const x1 = frame.x(Math.min(band.to, frame.t1));
    if (x1 <= x0) continue;
    out.push(
      `<rect class="band" data-label="${escapeXml(band.label)}" x="${round(x0)}" y="${frame.top}" width="${round(x1 - x0)}" height="${frame.bottom - frame.top}" fill="${band.color}" fill-opacity="0.18"><title>${escapeXml(band.label)}</title></rect>`,
    );
  }
  for (let value = 0; value <= frame.yMax + frame.yStep / 2; value += frame.yStep) {
    const y = round(frame.y(value));
    out.push(
      `<line x1="${frame.left}" y1="${y}" x2="${frame.right}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${frame.left - 6}" y="${y}" dy="4" text-anchor="end" fill="#555555">${escapeXml(spec.formatValue(value))}</text>`,
    );
  }
  const tStep = niceTimeStep(frame.t1 - frame.t0);
  for (let t = Math.ceil((frame.t0 - origin) / tStep) * tStep + origin; t <= frame.t1; t += tStep) {
    const x = round(frame.x(t));
    out.push(
      `<line x1="${x}" y1="${frame.bottom}" x2="${x}" y2="${frame.bottom + 4}" stroke="#888888"/>`,
      `<text x="${x}" y="${frame.bottom + 17}" text-anchor="middle" fill="#555555">${escapeXml(t === origin ? '0s' : formatDuration(t - origin))}</text>`,
    );
  }
  out.push(`<rect x="${frame.left}" y="${frame.top}" width="${frame.right - frame.left}" height="${frame.bottom - frame.top}" fill="none" stroke="#888888"/>`);
  for (const threshold of spec.thresholds ?? []) {
    const y = round(frame.y(threshold.value));
    out.push(
      `<line class="threshold" data-label="${escapeXml(threshold.label)}" x1="${frame.left}" y1="${y}" x2="${frame.right}" y2="${y}" stroke="${threshold.color}" stroke-dasharray="6 4" stroke-width="1.5"/>`,
      `<text x="${frame.right - 4}" y="${y}" dy="-4" text-anchor="end" fill="${threshold.color}">${escapeXml(`${threshold.label} ${spec.formatValue(threshold.value)}`)}</text>`,
    );
  }
  const markers = spec.markers ?? [];
  for (const marker of markers) {
    const x = round(frame.x(marker.t));
    out.push(
      `<line class="marker" data-label="${escapeXml(marker.label)}" x1="${x}" y1="${frame.top}" x2="${x}" y2="${frame.bottom}" stroke="${marker.color}" stroke-width="1.2"><title>${escapeXml(marker.label)}</title></line>`,
    );
    // Tags only while they stay readable; beyond that the lines and their tooltips speak for themselves.
    if (marker.tag !== undefined && markers.length <= MAX_TAGGED_MARKERS) {
      out.push(`<text x="${x}" y="${frame.top - 4}" text-anchor="middle" font-size="10" fill="${marker.color}">${escapeXml(marker.tag)}</text>`);
    }
  }
  for (const series of spec.series) {
    if (series.points.length === 0) continue;
    out.push(
      `<polyline class="series" data-series="${escapeXml(series.name)}" data-points="${series.points.length}" points="${polylinePoints(series, frame)}" fill="none" stroke="${series.color}" stroke-width="1.6" stroke-linejoin="round"/>`,
    );
  }
  if (spec.series.every((series) => series.points.length === 0)) {
    out.push(`<text x="${(frame.left + frame.right) / 2}" y="${(frame.top + frame.bottom) / 2}" text-anchor="middle" fill="#888888">no samples</text>`);
  }
  out.push(legend(spec, frame, height));
  out.push('</svg>');
  return out.join('\n');
}

function legend(spec: ChartSpec, frame: Frame, height: number): string {
  const entries = [
    ...spec.series.map((series) => ({ label: series.name, color: series.color, dashed: false })),
    ...(spec.thresholds ?? []).map((threshold) => ({ label: threshold.label, color: threshold.color, dashed: true })),
  ];
  const parts: string[] = [];
  let x = frame.left;
  const y = height - 14;
  for (const entry of entries) {
    const dash = entry.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${entry.color}" stroke-width="2"${dash}/>`,
      `<text x="${x + 27}" y="${y}" fill="#333333">${escapeXml(entry.label)}</text>`,
    );
    x += 40 + entry.label.length * 7;
  }
  return parts.join('\n');
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

function niceTimeStep(span: number): number {
  const raw = span / X_TICKS;
  return TIME_STEPS.find((step) => step >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}
