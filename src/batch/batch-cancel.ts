// `memsafe batches cancel`: cancels every batch still running at the provider, waits for each to stop, and
// collects what it finished; the records it never ran are pending again, for the next run to resubmit.
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchTable, TERMINAL_STATUSES } from '../checkpoint/batch-batches.js';
import { BatchChunks } from '../checkpoint/batch-chunks.js';
import { CheckpointStore, type RunCounters } from '../checkpoint/store.js';
import { CostTracker } from '../cost/cost-tracker.js';
import { PriceBook } from '../cost/price-table.js';
import type { BatchClient } from '../provider/batch-client.js';
import { collect } from './batch-collect.js';
import { newTally } from './batch-settle.js';

export interface CancelOptions {
  readonly db: string;
  readonly client: Pick<BatchClient, 'getBatch' | 'downloadLines' | 'cancelBatch'>;
  readonly pollIntervalMs: number;
  readonly maxResponseBytes: number;
  readonly log: (message: string) => void;
}

export interface CancelResult {
  readonly cancelled: number;
  readonly collected: number;
}

export async function cancelBatches(options: CancelOptions): Promise<CancelResult> {
  const store = CheckpointStore.open(options.db);
  const signal = new AbortController().signal;
  try {
    store.lock();
    const chunks = new BatchChunks(store.database);
    const batches = new BatchTable(store.database);
    const unsettled = batches.unsettled();
    if (unsettled.length === 0) return { cancelled: 0, collected: 0 };
    const last = store.database.prepare('SELECT mode, options FROM runs ORDER BY id DESC LIMIT 1').get() as { mode: string; options: string } | undefined;
    const lastOptions = JSON.parse(last?.options ?? '{}') as { normalize?: boolean; maxRetries?: number; pricesFile?: string };
    const counters: RunCounters = { recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: process.memoryUsage.rss(), breakerTrips: 0, breakerResets: 0, rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0 };
    const run = store.startRun({ mode: last?.mode ?? 'cache', input: '', options: { command: 'batches cancel' }, initialRss: counters.peakRss });
    const settle = { store, chunks, run, counters, tally: newTally(), normalize: lastOptions.normalize === true, maxRetries: lastOptions.maxRetries ?? 5, cost: new CostTracker({ prices: cancelPrices(lastOptions.pricesFile), pricing: 'batch' }) };
    let cancelled = 0;
    for (const batch of unsettled) {
      if (batch.step !== 'live' || TERMINAL_STATUSES.has(batch.status)) continue;
      batches.save(await options.client.cancelBatch(batch.id, signal), batch.chunkId, batch.provider);
      cancelled += 1;
      options.log(`cancelling ${batch.id}`);
    }
    let collected = 0;
    for (const batch of unsettled) {
      let current = batches.get(batch.id) ?? batch;
      while (current.step === 'live' && !TERMINAL_STATUSES.has(current.status)) {
        await sleep(options.pollIntervalMs);
        batches.save(await options.client.getBatch(batch.id, signal), batch.chunkId, batch.provider);
        current = batches.get(batch.id) ?? current;
      }
      await collect({ client: options.client, batches, settle, maxLineBytes: options.maxResponseBytes + 64 * 1024, signal, log: () => undefined }, current);
      collected += 1;
      options.log(`collected ${batch.id} (${current.status}): ${current.completed} done`);
    }
    store.finishRun(run, { status: 'done', exitCode: 0, counters, finalRss: process.memoryUsage.rss(), haltReason: null });
    return { cancelled, collected };
  } finally {
    store.close();
  }
}

/** The last run's --prices file when it is still readable, else the built-in table: a cancel must not fail on prices. */
function cancelPrices(file: string | undefined): PriceBook {
  try {
    return PriceBook.load(file);
  } catch {
    return new PriceBook();
  }
}
