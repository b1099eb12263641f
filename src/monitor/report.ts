// `memsafe report`: the memory story of the runs in a checkpoint as one self-contained HTML page, drawn with
// the same chart code as `monitor --plot`, and what their answers cost.
import { formatBytes, formatDuration } from '../config/units.js';
import { openCheckpoint } from '../checkpoint/open.js';
import type { SpendSummary } from '../checkpoint/cost-queries.js';
import { formatUsd } from '../cost/model-price.js';
import { spendText } from '../output/cost-view.js';
import { type ChartBand, type ChartMarker, type ChartPoint, type ChartSpec, renderSvgChart } from './chart.js';
import { type PageSection, renderHtmlPage, renderParagraph, renderTable } from './html-page.js';
import { COLORS } from './plot.js';
import { type ReportCost, type ReportData, type RunData, readReportData } from './report-data.js';
import { writeFileAtomic } from './write-atomic.js';

export interface ReportOptions {
  readonly db: string;
  readonly out: string;
  /** Latest runs to draw. */
  readonly runs: number;
}

const STATE_COLORS: Record<string, string> = { CAUTIOUS: '#d4a72c', BREAKER: '#cf222e' };
const BREAKER_TRIP = 'breaker_trip';

export function runReport(options: ReportOptions, stderr: NodeJS.WritableStream = process.stderr): number {
  const db = openCheckpoint(options.db, { create: false, readonly: true });
  let data: ReportData;
  try {
    data = readReportData(db, options.runs);
  } finally {
    db.close();
  }
  writeFileAtomic(options.out, renderReport(data, options.db), '--out');
  const samples = data.runs.reduce((total, run) => total + run.sampleCount, 0);
  stderr.write(`memsafe report: wrote ${options.out} (${data.runs.length} of ${data.totalRuns} runs, ${samples} samples)\n`);
  return 0;
}

export function renderReport(data: ReportData, source: string): string {
  const sections: PageSection[] = [];
  if (data.runs.length === 0) sections.push({ heading: 'No runs', body: [renderParagraph('This checkpoint has no runs recorded yet.')] });
  else sections.push({ heading: 'Runs', body: [runsTable(data.runs)] });
  if (data.cost !== undefined && (data.cost.total.byModel.length > 0 || data.cost.records.length > 0)) sections.push(costSection(data.cost));
  if (data.runs.length < data.totalRuns) {
    sections.push({ heading: 'Older runs', body: [renderParagraph(`${data.totalRuns - data.runs.length} older runs are not drawn (see --runs).`)] });
  }
  for (const run of data.runs) sections.push(runSection(run));
  return renderHtmlPage({ title: `memsafe report: ${source}`, subtitle: `${data.totalRuns} runs in the checkpoint`, sections });
}

function runsTable(runs: readonly RunData[]): string {
  return renderTable(
    ['run', 'mode', 'status', 'exit', 'started', 'took', 'done', 'failed', 'skipped', '429s', 'learned rate/s', 'held', 'peak RSS', 'breaker trips', 'cost', 'halt reason'],
    runs.map(({ run, spend }) => [
      run.id,
      run.mode,
      run.status,
      run.exitCode === null ? '' : String(run.exitCode),
      new Date(run.startedAt).toISOString(),
      run.endedAt === null ? 'not ended' : formatDuration(run.endedAt - run.startedAt),
      run.done,
      run.failed,
      run.skipped,
      run.rateLimited,
      run.learnedRateRps === null ? '' : String(Math.round(run.learnedRateRps)),
      run.heldMs > 0 ? formatDuration(run.heldMs) : '',
      run.peakRssBytes === null ? '' : formatBytes(run.peakRssBytes),
      run.breakerTrips,
      runCost(spend),
      run.haltReason ?? '',
    ]),
  );
}

/** `$0.12`, `unpriced`, or empty when the run's cost was not tracked. */
function runCost(spend: SpendSummary | undefined): string {
  if (spend === undefined || spend.byModel.length === 0) return '';
  return spend.usd === null ? 'unpriced' : spendText(spend);
}

/** Spent over every run, and the done records per model as they stand now (cache hits at what they would cost). */
function costSection(cost: ReportCost): PageSection {
  const body = [renderParagraph(`Spent over all runs: ${spendText(cost.total)}.`)];
  if (cost.records.length > 0) {
    body.push(
      renderTable(
        ['model', 'done records', 'prompt tokens', 'completion tokens', 'cost of the answers'],
        cost.records.map((model) => [model.model, model.records, model.promptTokens, model.completionTokens, model.usd === null ? 'unpriced' : formatUsd(model.usd)]),
      ),
    );
  }
  if (cost.untracked > 0) body.push(renderParagraph(`${cost.untracked} done records were written before costs were stored.`));
  return { heading: 'Cost', body };
}

function runSection(data: RunData): PageSection {
  const { run, points, events } = data;
  const origin = run.startedAt;
  const markers: ChartMarker[] = events.map((event) => ({
    t: event.t,
    label: `${event.kind} ${event.detail}`,
    tag: event.kind === BREAKER_TRIP ? 'trip' : event.kind,
    color: event.kind === BREAKER_TRIP ? COLORS.max : COLORS.other,
  }));
  const bands = stateBands(data);
  const memory: ChartSpec = {
    title: `Run ${run.id}: memory (${data.sampleCount} samples)`,
    series: [
      { name: 'RSS', color: COLORS.rss, points: points.map((point) => [point.t, point.rss] as const) },
      { name: 'heap used', color: COLORS.heap, points: points.map((point) => [point.t, point.heapUsed] as const) },
    ],
    formatValue: formatBytes,
    valueUnit: 1024 * 1024,
    bands,
    markers,
    origin,
  };
  const sizing: ChartSpec = {
    title: `Run ${run.id}: batch size and concurrency`,
    series: [
      { name: 'batch size', color: COLORS.rss, points: points.map((point) => [point.t, point.batchSize] as const), step: true },
      { name: 'concurrency', color: COLORS.workingSet, points: points.map((point) => [point.t, point.concurrency] as const), step: true },
    ],
    formatValue: (value) => String(Math.round(value * 10) / 10),
    bands,
    markers: markers.filter((marker) => marker.tag === 'trip'),
    origin,
    height: 220,
  };
  const throughput: ChartSpec = {
    title: `Run ${run.id}: throughput (records/s)`,
    series: [{ name: 'records/s', color: COLORS.gpu, points: throughputOf(data) }],
    formatValue: (value) => String(Math.round(value * 10) / 10),
    markers: markers.filter((marker) => marker.tag === 'trip'),
    origin,
    height: 220,
  };
  const body = [memory, sizing, throughput].map((spec) => renderSvgChart(spec, { standalone: false }));
  const legend = Object.entries(STATE_COLORS).map(([state]) => state).join(' and ');
  body.push(renderParagraph(`Shaded: governor ${legend} states. Red lines: breaker trips (${run.breakerTrips} recorded for this run).`));
  if (events.length > 0) {
    const shown = events.slice(-100);
    body.push(renderTable(['at', 'kind', 'detail'], shown.map((event) => [formatDuration(event.t - origin), event.kind, event.detail])));
    if (data.eventCount > shown.length) body.push(renderParagraph(`${data.eventCount - shown.length} earlier events are not listed.`));
  }
  return { heading: `Run ${run.id} · ${run.mode} · ${run.status}`, body };
}

/** Records per second between neighbouring points, from the run's `done` counter. */
export function throughputOf(data: RunData): ChartPoint[] {
  const out: ChartPoint[] = [];
  for (let index = 1; index < data.points.length; index++) {
    const before = data.points[index - 1];
    const point = data.points[index];
    if (before === undefined || point === undefined || point.t <= before.t) continue;
    out.push([point.t, Math.max(0, (point.done - before.done) / ((point.t - before.t) / 1000))]);
  }
  return out;
}

/** Spans where the governor was not NORMAL. */
export function stateBands(data: RunData): ChartBand[] {
  const bands: ChartBand[] = [];
  const { points } = data;
  let start = 0;
  for (let index = 1; index <= points.length; index++) {
    const first = points[start];
    const point = points[index];
    if (first === undefined || (point !== undefined && point.state === first.state)) continue;
    const color = STATE_COLORS[first.state];
    const end = point?.t ?? points[points.length - 1]?.t ?? first.t;
    if (color !== undefined && end > first.t) bands.push({ from: first.t, to: end, label: first.state, color });
    start = index;
  }
  return bands;
}
