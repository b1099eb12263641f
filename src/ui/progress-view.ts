// What the progress display shows, computed from the engine's snapshots: rates, percent and ETA by bytes read
// (there is no counting pass over the input), the one-line bar text for a terminal and the fields of the
// periodic "progress" log line. Pure apart from the injected clock.
import type { GovernorState } from '../memory/governor-state.js';
import { formatBytes, formatDuration } from '../config/units.js';
import { SlidingRate } from './rate.js';

/** What the engine reports; counts are disjoint and cover this run only. */
export interface ProgressSnapshot {
  /** Input bytes consumed so far, in the same unit as totalBytes (compressed bytes for a .gz file). */
  bytesRead: number;
  /** Records answered by the provider and committed. */
  done: number;
  /** Records that failed for good (error rows). */
  failed: number;
  /** Records answered from the response cache (same request seen before). */
  cached: number;
  /** Records already in the checkpoint from an earlier run. */
  skipped: number;
  rssBytes: number;
  /** Bytes reserved for answers in flight (the memory budget). */
  inflightBytes?: number;
  /** Money spent so far (`$1.23`, or `$1.23 of $5.00` with --max-cost). */
  spent?: string;
  batchSize: number;
  concurrency: number;
  state: GovernorState;
  /** Requests/s traffic control paces to; null or absent while unbounded. */
  learnedRateRps?: number | null;
  /** Share of the last second's answers that the server refused (429). */
  refusedShare?: number;
}

export interface ProgressView {
  snapshot: ProgressSnapshot;
  totalBytes: number | undefined;
  /** Records finished per second (done + failed + cached), over a sliding window. */
  rate: number;
  percent: number | undefined;
  etaMs: number | undefined;
}

const RATE_WINDOW_MS = 10_000;
/** ETA uses a longer window: it is read once in a while and should not jump with every batch. */
const ETA_WINDOW_MS = 30_000;

const EMPTY_SNAPSHOT: ProgressSnapshot = {
  bytesRead: 0,
  done: 0,
  failed: 0,
  cached: 0,
  skipped: 0,
  rssBytes: 0,
  batchSize: 0,
  concurrency: 0,
  state: 'NORMAL',
};

export class ProgressMeter {
  private readonly records = new SlidingRate({ windowMs: RATE_WINDOW_MS });
  private readonly bytes = new SlidingRate({ windowMs: ETA_WINDOW_MS });
  private latest: ProgressSnapshot = EMPTY_SNAPSHOT;

  constructor(
    private readonly totalBytes: number | undefined,
    private readonly now: () => number,
  ) {
    const start = now();
    this.records.observe(0, start);
    this.bytes.observe(0, start);
  }

  /** Cheap enough for every commit: two ring-buffer writes at most. */
  observe(snapshot: ProgressSnapshot): void {
    const at = this.now();
    this.latest = snapshot;
    this.records.observe(finished(snapshot), at);
    this.bytes.observe(snapshot.bytesRead, at);
  }

  view(): ProgressView {
    const at = this.now();
    const { totalBytes } = this;
    const known = totalBytes !== undefined && totalBytes > 0;
    const bytesRead = this.latest.bytesRead;
    const bytesPerSecond = this.bytes.perSecond(at);
    const remaining = known ? Math.max(0, totalBytes - bytesRead) : 0;
    return {
      snapshot: this.latest,
      totalBytes,
      rate: this.records.perSecond(at),
      percent: known ? Math.min(100, (bytesRead / totalBytes) * 100) : undefined,
      etaMs: remaining > 0 && bytesPerSecond > 0 ? (remaining / bytesPerSecond) * 1000 : undefined,
    };
  }
}

function finished(snapshot: ProgressSnapshot): number {
  return snapshot.done + snapshot.failed + snapshot.cached;
}

const count = new Intl.NumberFormat('en-US');

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k/s`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  return perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}

interface Segment {
  text: string;
  /** Lower is kept first when the terminal is narrow. */
  priority: number;
}

/** The bar line, at most `width` characters: the least useful parts go first when the terminal is narrow. */
export function formatProgressLine(view: ProgressView, width: number): string {
  const { snapshot } = view;
  const segments: Segment[] = [];
  if (view.percent !== undefined) segments.push({ text: `${view.percent.toFixed(1)}%`, priority: 0 });
  else segments.push({ text: `read ${formatBytes(snapshot.bytesRead)}`, priority: 4 });
  segments.push({ text: `${count.format(snapshot.done)} done`, priority: 0 });
  segments.push({ text: `${count.format(snapshot.failed)} failed`, priority: 1 });
  if (snapshot.cached > 0) segments.push({ text: `${count.format(snapshot.cached)} cached`, priority: 5 });
  if (snapshot.skipped > 0) segments.push({ text: `${count.format(snapshot.skipped)} skipped`, priority: 6 });
  segments.push({ text: formatRate(view.rate), priority: 2 });
  if (view.etaMs !== undefined) segments.push({ text: `ETA ${formatDuration(view.etaMs)}`, priority: 2 });
  segments.push({ text: `RSS ${formatBytes(snapshot.rssBytes)}`, priority: 1 });
  if (snapshot.spent !== undefined && snapshot.spent !== '$0.00') segments.push({ text: snapshot.spent, priority: 2 });
  if ((snapshot.inflightBytes ?? 0) > 0) segments.push({ text: `in flight ${formatBytes(snapshot.inflightBytes ?? 0)}`, priority: 3 });
  segments.push({ text: `batch ${snapshot.batchSize} ×${snapshot.concurrency}`, priority: 3 });
  const traffic = trafficSegment(snapshot);
  if (traffic !== undefined) segments.push({ text: traffic, priority: 2 });
  segments.push({ text: snapshot.state, priority: snapshot.state === 'NORMAL' ? 3 : 0 });

  const separator = ' · ';
  const barWidth = view.percent === undefined ? 0 : width >= 110 ? 24 : width >= 80 ? 12 : 0;
  let room = width - (barWidth > 0 ? barWidth + 3 : 0);
  const kept = new Set<Segment>();
  for (const segment of [...segments].sort((a, b) => a.priority - b.priority)) {
    const cost = segment.text.length + (kept.size > 0 ? separator.length : 0);
    if (cost > room) continue;
    kept.add(segment);
    room -= cost;
  }
  const text = segments
    .filter((segment) => kept.has(segment))
    .map((segment) => segment.text)
    .join(separator);
  const line = barWidth > 0 ? `[${bar(view.percent ?? 0, barWidth)}] ${text}` : text;
  return line.slice(0, Math.max(0, width));
}

/** `paced 287/s · 2% refused`: what traffic control learned, shown once it has learned anything. */
function trafficSegment(snapshot: ProgressSnapshot): string | undefined {
  const parts: string[] = [];
  if (snapshot.learnedRateRps !== undefined && snapshot.learnedRateRps !== null) parts.push(`paced ${formatRate(snapshot.learnedRateRps)}`);
  if (snapshot.refusedShare !== undefined && snapshot.refusedShare > 0) parts.push(`${Math.round(snapshot.refusedShare * 100)}% refused`);
  return parts.length === 0 ? undefined : parts.join(' ');
}

function bar(percent: number, width: number): string {
  const filled = Math.round((percent / 100) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Fields of the periodic `progress` log line written when stderr is not a terminal. */
export function progressLogFields(view: ProgressView): Record<string, number | string | null> {
  const { snapshot } = view;
  return {
    done: snapshot.done,
    failed: snapshot.failed,
    cached: snapshot.cached,
    skipped: snapshot.skipped,
    rate: Math.round(view.rate * 10) / 10,
    rss: snapshot.rssBytes,
    inflightBytes: snapshot.inflightBytes ?? 0,
    batchSize: snapshot.batchSize,
    concurrency: snapshot.concurrency,
    state: snapshot.state,
    bytesRead: snapshot.bytesRead,
    totalBytes: view.totalBytes ?? null,
    percent: view.percent === undefined ? null : Math.round(view.percent * 10) / 10,
    etaMs: view.etaMs === undefined ? null : Math.round(view.etaMs),
    learnedRateRps: snapshot.learnedRateRps === undefined || snapshot.learnedRateRps === null ? null : Math.round(snapshot.learnedRateRps * 10) / 10,
    refusedShare: snapshot.refusedShare === undefined ? 0 : Math.round(snapshot.refusedShare * 1000) / 1000,
  };
}
