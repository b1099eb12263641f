// What `memsafe status` prints: a compact table for people, a stable JSON shape for cron jobs and scripts.
import type { SpendSummary } from '../checkpoint/cost-queries.js';
import type { CheckpointSpend, RecordCounts, VectorStats } from '../checkpoint/status-snapshot.js';
import type { StoredRun } from '../checkpoint/stored-runs.js';
import { formatBytes, formatDuration } from '../config/units.js';
import { formatUsd } from '../cost/model-price.js';
import { spendJson, spendText } from './cost-view.js';

export interface StatusReport {
  readonly checkpoint: { readonly path: string; readonly sizeBytes: number };
  readonly counts: RecordCounts;
  readonly runsTotal: number;
  /** Newest first. */
  readonly runs: readonly StoredRun[];
  /** Embedding vectors stored (one per distinct text); absent or zero for a chat-only checkpoint. */
  readonly vectors?: VectorStats;
  /** The latest run's in-flight answer bytes at their peak (`memory.inflight_peak_bytes`); null or absent before any. */
  readonly inflightPeakBytes?: number | null;
  /** What the answers cost, in total and per listed run; absent: not read. */
  readonly spend?: CheckpointSpend;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** snake_case, times as ISO 8601 UTC, durations and sizes as plain numbers; runs newest first. */
export function statusJson(report: StatusReport): Record<string, unknown> {
  const runSpend = (id: number): Record<string, unknown> | null => {
    const spend = report.spend?.byRun.get(id);
    return spend === undefined ? null : spendJson(spend);
  };
  return {
    checkpoint: { path: report.checkpoint.path, size_bytes: report.checkpoint.sizeBytes },
    done: report.counts.done,
    failed: report.counts.failed,
    retryable: report.counts.retryable,
    line_errors: report.counts.lineErrors,
    vectors: { count: report.vectors?.count ?? 0, dims: report.vectors?.dims ?? [] },
    inflight_peak_bytes: report.inflightPeakBytes ?? null,
    // The run summary's `cost` shape, summed over every run on the checkpoint; null when not read.
    cost: report.spend === undefined ? null : spendJson(report.spend.total),
    runs_total: report.runsTotal,
    runs: report.runs.map((run) => ({
      id: run.id,
      status: run.status,
      exit_code: run.exitCode,
      started_at: isoOrNull(run.startedAt),
      ended_at: isoOrNull(run.endedAt),
      duration_ms: run.endedAt === null ? null : Math.max(0, run.endedAt - run.startedAt),
      pid: run.pid,
      mode: run.mode,
      input: run.input,
      records_read: run.recordsRead,
      done: run.done,
      failed: run.failed,
      skipped: run.skipped,
      requests: run.requests,
      cache_hits: run.cacheHits,
      retries: run.retries,
      throttled: run.throttled,
      rate_limited: run.rateLimited,
      backpressure: run.backpressure,
      learned_rate_rps: run.learnedRateRps === null ? null : Math.round(run.learnedRateRps * 10) / 10,
      held_ms: run.heldMs,
      peak_rss_bytes: run.peakRssBytes,
      breaker_trips: run.breakerTrips,
      halt_reason: run.haltReason,
      cost: runSpend(run.id),
    })),
  };
}

const counted = new Intl.NumberFormat('en-US');

function number(value: number): string {
  return counted.format(value);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** Local time to the minute: enough to find a run in cron's logs. */
function localTime(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

interface Column {
  readonly title: string;
  readonly alignRight?: boolean;
  readonly cell: (run: StoredRun) => string;
}

/** A run's cost cell: `$0.12`, `unpriced`, or `-` when it sent nothing that was counted. */
function costCell(spend: SpendSummary | undefined): string {
  if (spend === undefined || spend.byModel.every((model) => model.requests === 0)) return '-';
  if (spend.usd === null) return 'unpriced';
  return spend.unpricedModels.length > 0 ? `${formatUsd(spend.usd)}+unpriced` : formatUsd(spend.usd);
}

function columns(now: number, spend: ReadonlyMap<number, SpendSummary> | undefined): readonly Column[] {
  // The COST column only once some listed run has a tracked cost: older checkpoints keep their table.
  const costs = spend !== undefined && [...spend.values()].some((summary) => summary.byModel.length > 0);
  return [
    { title: 'RUN', alignRight: true, cell: (run) => String(run.id) },
    { title: 'STARTED', cell: (run) => localTime(run.startedAt) },
    { title: 'TOOK', alignRight: true, cell: (run) => formatDuration((run.endedAt ?? now) - run.startedAt) },
    { title: 'STATUS', cell: (run) => run.status },
    { title: 'EXIT', alignRight: true, cell: (run) => (run.exitCode === null ? '-' : String(run.exitCode)) },
    { title: 'DONE', alignRight: true, cell: (run) => number(run.done) },
    { title: 'FAILED', alignRight: true, cell: (run) => number(run.failed) },
    { title: 'SKIPPED', alignRight: true, cell: (run) => number(run.skipped) },
    { title: 'RETRIES', alignRight: true, cell: (run) => number(run.retries) },
    { title: '429s', alignRight: true, cell: (run) => number(run.throttled) },
    { title: 'RATE/S', alignRight: true, cell: (run) => (run.learnedRateRps === null ? '-' : number(Math.round(run.learnedRateRps))) },
    { title: 'HELD', alignRight: true, cell: (run) => (run.heldMs > 0 ? formatDuration(run.heldMs) : '-') },
    { title: 'PEAK RSS', alignRight: true, cell: (run) => (run.peakRssBytes === null ? '-' : formatBytes(run.peakRssBytes)) },
    { title: 'TRIPS', alignRight: true, cell: (run) => number(run.breakerTrips) },
    ...(costs ? [{ title: 'COST', alignRight: true, cell: (run: StoredRun) => costCell(spend?.get(run.id)) }] : []),
    { title: 'HALT', cell: (run) => run.haltReason ?? '' },
  ];
}

export function renderRunTable(runs: readonly StoredRun[], now: number, spend?: ReadonlyMap<number, SpendSummary>): string[] {
  const table = columns(now, spend);
  const cells = runs.map((run) => table.map((column) => column.cell(run)));
  const widths = table.map((column, index) => Math.max(column.title.length, ...cells.map((row) => row[index]?.length ?? 0)));
  const format = (row: readonly string[]): string =>
    row
      .map((text, index) => {
        const width = widths[index] ?? 0;
        return table[index]?.alignRight === true ? text.padStart(width) : text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [format(table.map((column) => column.title)), ...cells.map(format)];
}

export function renderStatus(report: StatusReport, now: number = Date.now()): string {
  const { counts } = report;
  const failedDetail: string[] = [];
  if (counts.retryable > 0) failedDetail.push(`${number(counts.retryable)} will be retried`);
  if (counts.lineErrors > 0) failedDetail.push(`${number(counts.lineErrors)} duplicate-id lines`);
  const failed = `${number(counts.failed)} failed${failedDetail.length > 0 ? ` (${failedDetail.join(', ')})` : ''}`;
  const lines = [
    `checkpoint  ${report.checkpoint.path} (${formatBytes(report.checkpoint.sizeBytes)})`,
    `records     ${number(counts.done)} done, ${failed}`,
  ];
  const vectors = report.vectors;
  if (vectors !== undefined && vectors.count > 0) {
    const dims = `${vectors.dims.length === 1 ? 'dimension' : 'dimensions'} ${vectors.dims.join(', ')}`;
    lines.push(`vectors     ${number(vectors.count)} stored (one per distinct text), ${dims}`);
  }
  if ((report.inflightPeakBytes ?? 0) > 0) lines.push(`in flight   peak ${formatBytes(report.inflightPeakBytes ?? 0)} of answers reserved at once (latest run)`);
  const total = report.spend?.total;
  if (total !== undefined && total.byModel.length > 0) lines.push(`cost        ${spendText(total)} over all runs`);
  if (report.runsTotal === 0) {
    lines.push('runs        none yet');
  } else {
    const shown = report.runs.length < report.runsTotal ? `last ${report.runs.length} of ${report.runsTotal}` : `${report.runsTotal}`;
    lines.push(`runs        ${shown}, newest first`);
    if (report.runs.length > 0) lines.push('', ...renderRunTable(report.runs, now, report.spend?.byRun).map((line) => `  ${line}`));
  }
  return `${lines.join('\n')}\n`;
}
