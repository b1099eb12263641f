// Poll and collect: refresh every live batch; for each finished one, stream its output and error files into the
// checkpoint (matched by custom_id), then settle what it left unanswered. Each step is recorded when it is done.
import { type BatchRow, type BatchTable, TERMINAL_STATUSES } from '../checkpoint/batch-batches.js';
import type { MemberRow } from '../checkpoint/batch-chunks.js';
import type { BatchClient } from '../provider/batch-client.js';

/** What polling and collecting need of a Batch API client (OpenAI's or Anthropic's). */
export type BatchReader = Pick<BatchClient, 'getBatch' | 'downloadLines'>;
import { type SettleContext, settleLines, settleRemaining } from './batch-settle.js';
import { type LineVerdict, unansweredVerdict, validationVerdict } from './settle-rules.js';

export interface CollectContext {
  readonly client: BatchReader;
  readonly batches: BatchTable;
  readonly settle: SettleContext;
  readonly maxLineBytes: number;
  readonly signal: AbortSignal;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
  readonly gc?: (() => void) | undefined;
}

const PAGE_LINES = 500;
/** A full GC every this many pages of a download (2,500 lines): the pages promote to old space, and at 20 pages the
 * heap grew ~10 MB between collections, the peak of a 50,000-line file (docs/BENCHMARKS.md). */
const GC_PAGES = 5;

/** One poll of every unsettled batch; returns how many are still running at the provider. */
export async function pollAndCollect(context: CollectContext): Promise<number> {
  let running = 0;
  for (const stored of context.batches.unsettled()) {
    let batch: BatchRow = stored;
    if (batch.step === 'live') {
      const snapshot = await context.client.getBatch(batch.id, context.signal);
      context.batches.save(snapshot, batch.chunkId, batch.provider);
      batch = context.batches.get(batch.id) ?? batch;
    }
    if (!TERMINAL_STATUSES.has(batch.status)) {
      running += 1;
      continue;
    }
    await collect(context, batch);
  }
  return running;
}

/** Downloads and settles a finished batch; safe to repeat after a crash at any point. */
export async function collect(context: CollectContext, batch: BatchRow): Promise<void> {
  const started = Date.now();
  const endpoint = batch.endpoint;
  let pages = 0;
  const download = async (fileId: string): Promise<void> =>
    context.client.downloadLines(fileId, context.maxLineBytes, PAGE_LINES, (lines) => {
      settleLines(context.settle, batch.chunkId, endpoint, lines);
      if (++pages % GC_PAGES === 0) context.gc?.();
    }, context.signal);
  if (batch.step === 'live' && batch.outputFileId !== null) await download(batch.outputFileId);
  if (batch.step === 'live') context.batches.setStep(batch.id, 'output_downloaded');
  if (batch.step !== 'errors_downloaded' && batch.errorFileId !== null) await download(batch.errorFileId);
  context.batches.setStep(batch.id, 'errors_downloaded');
  settleRemaining(context.settle, batch.chunkId, endpoint, leftoverVerdict(batch));
  context.settle.store.database.transaction(() => {
    context.batches.setStep(batch.id, 'settled');
    context.settle.chunks.setStep(batch.chunkId, 'settled');
  })();
  context.log('batch collected', { batch: batch.id, status: batch.status, completed: batch.completed, failed: batch.failed, ms: Date.now() - started });
}

/**
 * What the records a finished batch did not answer become. A validation failure fails the lines it names with
 * the server's message (every line when it names none); other lines go into a new batch.
 */
export function leftoverVerdict(batch: Pick<BatchRow, 'status' | 'errors'>): (member: MemberRow) => LineVerdict {
  if (batch.status !== 'failed') return () => unansweredVerdict(batch.status);
  const byLine = new Map(batch.errors.filter((error) => error.line !== null).map((error) => [error.line, error]));
  const general = batch.errors.find((error) => error.line === null);
  return (member) => {
    const named = byLine.get(member.fileLine);
    if (named !== undefined) return validationVerdict(named.code, named.message, named.line);
    if (general !== undefined || byLine.size === 0) return validationVerdict(general?.code ?? null, general?.message ?? 'the batch failed without a reason', null);
    return { kind: 'failed', retryable: true, status: null, code: 'batch_failed_elsewhere', message: 'The batch failed validation on other lines; this request is resubmitted' };
  };
}
