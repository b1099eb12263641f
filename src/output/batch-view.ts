// The batches of a checkpoint as `memsafe status` and `memsafe batches` show them: id, status, counts, times.
import type { BatchRow } from '../checkpoint/batch-batches.js';

export function batchesJson(rows: readonly BatchRow[]): Record<string, unknown>[] {
  return rows.map((row) => ({
    id: row.id,
    chunk: row.chunkId,
    provider: row.provider,
    endpoint: row.endpoint,
    status: row.status,
    collected: row.step === 'settled',
    counts: { total: row.total, completed: row.completed, failed: row.failed },
    created_at: row.createdAt === null ? null : new Date(row.createdAt).toISOString(),
    expires_at: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
    input_file_id: row.inputFileId,
    output_file_id: row.outputFileId,
    error_file_id: row.errorFileId,
    errors: row.errors,
  }));
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** A table, or nothing when the checkpoint never ran a batch. */
export function renderBatches(rows: readonly BatchRow[]): string {
  if (rows.length === 0) return '';
  const header = ['BATCH', 'STATUS', 'COLLECTED', 'TOTAL', 'DONE', 'FAILED', 'CREATED', 'EXPIRES'];
  const table = rows.map((row) => [row.id, row.status, row.step === 'settled' ? 'yes' : 'no', String(row.total), String(row.completed), String(row.failed), time(row.createdAt), time(row.expiresAt)]);
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}`;
  const live = rows.filter((row) => row.step !== 'settled').length;
  return `\nbatches     ${rows.length}, ${live} not yet collected, newest first\n\n${[line(header), ...table.map(line)].join('\n')}\n`;
}
