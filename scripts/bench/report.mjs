// Formatting of bench results: numbers, markdown tables, medians, and the machine they were measured on.
import os from 'node:os';

const MB = 1024 * 1024;

export function formatMb(bytes) {
  return bytes === undefined || bytes === null ? 'n/a' : `${(bytes / MB).toFixed(1)} MB`;
}

export function formatRate(perSecond) {
  return perSecond === undefined || !Number.isFinite(perSecond) ? 'n/a' : String(Math.round(perSecond));
}

export function formatSeconds(milliseconds) {
  return milliseconds === undefined ? 'n/a' : (milliseconds / 1000).toFixed(1);
}

export function formatCount(value) {
  return value === undefined ? 'n/a' : value.toLocaleString('en-US');
}

/** 50000 -> "50k", 500000 -> "500k", 1500 -> "1.5k", 1000000 -> "1M". */
export function formatSize(count) {
  if (count >= 1_000_000) return `${Number((count / 1_000_000).toFixed(2))}M`;
  return count >= 1000 ? `${Number((count / 1000).toFixed(1))}k` : String(count);
}

export function formatPercent(ratio) {
  return ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;
}

export function formatRatio(ratio) {
  return ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${ratio.toFixed(2)}×`;
}

/** A target verdict: "yes", "no", or "n/a" when it could not be measured. */
export function verdict(met) {
  return met === undefined ? 'n/a' : met ? 'yes' : '**no**';
}

/** Median of the defined numbers, or undefined when there are none. */
export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function escapeCell(value) {
  return String(value).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function markdownTable(headers, rows) {
  const lines = [`| ${headers.map(escapeCell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

/** The last non-empty line of a process's stderr, shortened, for an "n/a" row. */
export function stderrSummary(stderrTail, max = 160) {
  const lines = stderrTail.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const last = lines.at(-1) ?? '';
  return last.length > max ? `${last.slice(0, max - 1)}…` : last;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    totalMemory: `${(os.totalmem() / (1024 * MB)).toFixed(1)} GB`,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function machineLine(info) {
  return `Measured ${info.date} · Node ${info.node} · ${info.nproc} CPUs (${info.cpuModel}) · ${info.totalMemory} RAM · ${info.platform}`;
}

function loads(values) {
  return values.map((load) => load.toFixed(2)).join(' / ');
}

/** The machine's load while a block was measured (other work on a shared machine skews the numbers). */
export function loadLine(before, after, durationMs) {
  const took = durationMs === undefined ? '' : `; took ${(durationMs / 60_000).toFixed(1)} min`;
  return `Load average (1 / 5 / 15 min) at start ${loads(before)}, at end ${loads(after)}${took}`;
}
