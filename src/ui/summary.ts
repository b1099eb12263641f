// The end-of-run summary: a few human lines on stderr that end with what to do next, or one JSON document on
// stdout with --json (snake_case keys, a stable contract for scripts and cron wrappers).
import { formatBytes, formatDuration } from '../config/units.js';
import type { RunOptions } from '../config/run-options.js';
import type { RunCounters } from '../checkpoint/store.js';
import type { CostSummary } from '../cost/cost-ledger.js';
import { ExitCode } from '../errors.js';
import { costSummaryLines } from '../output/cost-view.js';

export interface RunSummary {
  status: string;
  exitCode: number;
  checkpoint: string;
  input: string;
  elapsedMs: number;
  records: { read: number; done: number; failed: number; skipped: number; cacheHits: number };
  requests: number;
  retries: number;
  throttled: number;
  /** 429s that were rate refusals (traffic control). */
  rateLimited: number;
  /** 503 busy / 529 overloaded answers. */
  backpressure: number;
  /** Requests/s paced to at the end; null while unbounded. */
  learnedRateRps: number | null;
  /** Wall time the whole server was held. */
  heldMs: number;
  memory: { initialRss: number; peakRss: number; finalRss: number; maxMemory: number; warnMemory: number; inflightPeak: number };
  breakerTrips: number;
  breakerResets: number;
  haltReason: string | null;
  /** What to do next, from the engine; printed before the hints the summary derives itself. */
  hint: string | null;
  /** What the answers cost (issue 13's `cost` object); absent when the run priced nothing. */
  cost?: CostSummary;
}

/** What a finished run reports (the engine's result has this shape). */
export interface FinishedRun {
  readonly status: string;
  readonly exitCode: number;
  readonly counters: RunCounters;
  readonly haltReason: string | null;
  readonly error: { readonly message: string; readonly hint: string | undefined } | undefined;
  readonly initialRss: number;
  readonly finalRss: number;
  readonly elapsedMs: number;
  readonly inflightPeakBytes: number;
}

/** The summary of one run, from what the engine returned and the options it ran with. */
export function buildSummary(result: FinishedRun, options: RunOptions, redact: (text: string) => string): RunSummary {
  const { counters, error } = result;
  const haltReason = result.haltReason ?? (error === undefined ? null : redact(error.message));
  return {
    status: result.status,
    exitCode: result.exitCode,
    checkpoint: options.db,
    input: options.input,
    elapsedMs: result.elapsedMs,
    records: { read: counters.recordsRead, done: counters.done, failed: counters.failed, skipped: counters.skipped, cacheHits: counters.cacheHits },
    requests: counters.requests,
    retries: counters.retries,
    throttled: counters.throttled,
    rateLimited: counters.rateLimited,
    backpressure: counters.backpressure,
    learnedRateRps: counters.learnedRateRps,
    heldMs: counters.heldMs,
    memory: {
      initialRss: result.initialRss,
      peakRss: counters.peakRss,
      finalRss: result.finalRss,
      maxMemory: options.maxMemoryBytes,
      warnMemory: options.warnMemoryBytes,
      inflightPeak: result.inflightPeakBytes,
    },
    breakerTrips: counters.breakerTrips,
    breakerResets: counters.breakerResets,
    haltReason,
    hint: error?.hint ?? (result.exitCode === ExitCode.halted ? 'Run the same command again to resume where it stopped.' : null),
  };
}

const count = new Intl.NumberFormat('en-US');

/** Human summary for stderr, 6–10 lines, ending with a newline. */
export function formatSummary(summary: RunSummary): string {
  const { records, memory } = summary;
  const lines = [
    `memsafe: ${summary.status} after ${formatDuration(summary.elapsedMs)} (exit ${summary.exitCode})`,
    row(
      'records',
      [
        `${count.format(records.read)} read`,
        `${count.format(records.done)} done`,
        `${count.format(records.failed)} failed`,
        `${count.format(records.skipped)} skipped`,
        `${count.format(records.cacheHits)} cache hits`,
      ].join(' · '),
    ),
    row(
      'requests',
      `${count.format(summary.requests)} (${count.format(summary.retries)} retries, ${count.format(summary.throttled)} throttled)` + trafficNote(summary),
    ),
    row(
      'memory',
      `peak ${formatBytes(memory.peakRss)} of ${formatBytes(memory.maxMemory)} max (warn at ${formatBytes(memory.warnMemory)})` +
        ` · start ${formatBytes(memory.initialRss)} · end ${formatBytes(memory.finalRss)}` +
        (memory.inflightPeak > 0 ? ` · budget reserved for answers at most ${formatBytes(memory.inflightPeak)}` : '') +
        (summary.breakerTrips > 0 || summary.breakerResets > 0
          ? ` · breaker ${plural(summary.breakerTrips, 'trip')}, ${plural(summary.breakerResets, 'reset')}`
          : ''),
    ),
  ];
  if (summary.cost !== undefined && (summary.requests > 0 || summary.records.cacheHits > 0 || Object.keys(summary.cost.by_model).length > 0)) lines.push(...costSummaryLines(summary.cost).map((line) => `  ${line}`));
  if (summary.haltReason !== null) lines.push(row('halted', summary.haltReason));
  lines.push(row('input', summary.input), row('checkpoint', summary.checkpoint));
  for (const step of nextSteps(summary)) lines.push(row('next', step));
  return `${lines.join('\n')}\n`;
}

/** The learned rate and the time held, when traffic control had anything to say. */
function trafficNote(summary: RunSummary): string {
  const parts: string[] = [];
  if (summary.learnedRateRps !== null) parts.push(`paced to ${count.format(Math.round(summary.learnedRateRps))}/s`);
  if (summary.heldMs > 0) parts.push(`held ${formatDuration(summary.heldMs)}`);
  if (summary.backpressure > 0) parts.push(`${count.format(summary.backpressure)} busy`);
  return parts.length === 0 ? '' : ` · ${parts.join(' · ')}`;
}

/** What the user should do now, most specific first, without repeats. */
export function nextSteps(summary: RunSummary): string[] {
  const steps = new Set<string>();
  if (summary.hint !== null && summary.hint.trim() !== '') steps.add(summary.hint.trim());
  const resumable: number[] = [ExitCode.halted, ExitCode.sigint, ExitCode.sigterm];
  if (resumable.includes(summary.exitCode)) steps.add('run the same command again to resume');
  if (summary.records.failed > 0) {
    steps.add(`memsafe export --db ${shellQuote(summary.checkpoint)} --errors to see the failed records`);
  }
  return [...steps];
}

/** The summary as one JSON document for stdout (--json), ending with a newline. */
export function summaryJson(summary: RunSummary): string {
  const { records, memory } = summary;
  const document = {
    status: summary.status,
    exit_code: summary.exitCode,
    checkpoint: summary.checkpoint,
    input: summary.input,
    elapsed_ms: Math.round(summary.elapsedMs),
    records: {
      read: records.read,
      done: records.done,
      failed: records.failed,
      skipped: records.skipped,
      cache_hits: records.cacheHits,
    },
    requests: summary.requests,
    retries: summary.retries,
    throttled: summary.throttled,
    rate_limited: summary.rateLimited,
    backpressure: summary.backpressure,
    learned_rate_rps: summary.learnedRateRps === null ? null : Math.round(summary.learnedRateRps * 10) / 10,
    held_ms: Math.round(summary.heldMs),
    memory: {
      initial_rss_bytes: memory.initialRss,
      peak_rss_bytes: memory.peakRss,
      final_rss_bytes: memory.finalRss,
      max_memory_bytes: memory.maxMemory,
      warn_memory_bytes: memory.warnMemory,
      inflight_peak_bytes: memory.inflightPeak,
    },
    breaker_trips: summary.breakerTrips,
    breaker_resets: summary.breakerResets,
    halt_reason: summary.haltReason,
    hint: summary.hint,
    ...(summary.cost === undefined ? {} : { cost: summary.cost }),
  };
  return `${JSON.stringify(document)}\n`;
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(11)}${text}`;
}

function plural(value: number, noun: string): string {
  return `${count.format(value)} ${noun}${value === 1 ? '' : 's'}`;
}

/** A path as it can be pasted into a POSIX shell. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
