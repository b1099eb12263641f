// The engine's side of memory: the governor fed by the watch, the heap trim and the young-generation cap, and
// what a governor state change does to concurrency. The breaker procedure itself is stops/breaker.ts.
import type { Logger } from 'pino';
import type { MemorySample } from '../checkpoint/store.js';
import { Governor, type GovernorDecision, type GovernorState } from './governor.js';
import { HeapTrim } from './heap-trim.js';
import { MemoryWatch, readHeap } from './memory-watch.js';
import { YOUNG_GENERATION_CAP_BYTES, YoungGenerationCap } from './young-generation-cap.js';

export interface MemoryControlParts {
  readonly limits: { warnBytes: number; maxBytes: number; batchSize: number; minBatchSize: number; concurrency: number };
  /** The run's concurrency pools (one per route): the governor sets their ceilings. */
  readonly pools: ConcurrencyPools;
  readonly logger: Logger;
  /** Collects garbage when the process exposes it (CAUTIOUS, breaker, heap trim). */
  readonly gc: (() => void) | undefined;
  readonly setYoungGenerationGrowth: ((grow: boolean) => void) | undefined;
  readonly event: (kind: string, detail: Record<string, unknown>) => void;
  /** A full sample, about once a second (for the checkpoint's samples table). */
  readonly onSample: (sample: Omit<MemorySample, 'batchSize' | 'concurrency' | 'state' | 'done'>) => void;
  /** Tests inject readings; a run reads its own RSS. */
  readonly readRss?: () => number;
  readonly now?: () => number;
}

export interface ConcurrencyPools {
  applyCeiling(ceilingFor: (base: number) => number): void;
  saveLimits(): void;
  restoreLimits(): void;
}

export class MemoryControl {
  readonly governor: Governor;
  private readonly watch: MemoryWatch;
  private readonly heapTrim = new HeapTrim();
  private readonly youngGeneration: YoungGenerationCap | undefined;
  private readonly rss: () => number;
  private lastRssValue: number;

  constructor(private readonly parts: MemoryControlParts) {
    this.governor = new Governor(parts.limits);
    this.rss = parts.readRss ?? (() => process.memoryUsage.rss());
    this.lastRssValue = this.rss();
    this.youngGeneration =
      parts.setYoungGenerationGrowth === undefined ? undefined : new YoungGenerationCap(YOUNG_GENERATION_CAP_BYTES, parts.setYoungGenerationGrowth);
    this.watch = new MemoryWatch(this.governor, {
      // Under half the warning line the intake's checks at every batch may reuse a reading for a while.
      farBelowBytes: parts.limits.warnBytes / 2,
      onReading: (rss, decision) => this.onReading(rss, decision),
      onHeap: (heap) => {
        this.trimHeap(heap.usedBytes);
        this.youngGeneration?.observe(heap.newSpaceBytes);
      },
      onSample: (sample) => parts.onSample(sample),
      readRss: this.rss,
      ...(parts.now === undefined ? {} : { now: parts.now }),
      ...(parts.readRss === undefined ? {} : { read: () => ({ rss: this.rss(), heapUsed: 0 }) }),
    });
  }

  get lastRss(): number {
    return this.lastRssValue;
  }

  get state(): GovernorState {
    return this.governor.state;
  }

  get peakRss(): number {
    return this.governor.peakRss;
  }

  batchSize(): number {
    return this.governor.batchSize();
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  /** A reading now (at a batch boundary), or the state as it is when one was just taken. */
  check(): GovernorState {
    return this.watch.check().state;
  }

  /** A fresh reading outside the governor (the breaker re-samples while it waits). */
  readRss(): number {
    this.lastRssValue = this.rss();
    return this.lastRssValue;
  }

  collectGarbage(): void {
    this.parts.gc?.();
  }

  /** Memory fell below the warning line after a trip: CAUTIOUS, with the concurrency the run had before it. */
  resetBreaker(): void {
    this.governor.resetBreaker();
    const { pools } = this.parts;
    pools.applyCeiling((base) => this.governor.ceilingFor(base));
    pools.restoreLimits();
  }

  private onReading(rss: number, decision: GovernorDecision): void {
    this.lastRssValue = rss;
    if (!decision.changed) return;
    const { pools, logger, event } = this.parts;
    if (decision.state === 'BREAKER') pools.saveLimits();
    pools.applyCeiling((base) => this.governor.ceilingFor(base));
    event('state', { from: decision.previous, to: decision.state, rss });
    logger.info({ from: decision.previous, to: decision.state, rss, batchSize: this.governor.batchSize() }, `memory governor: ${decision.state}`);
    if (decision.state === 'CAUTIOUS') this.parts.gc?.();
  }

  /** A full GC when the heap has doubled over its live size (see heap-trim.ts). */
  private trimHeap(heapUsed: number): void {
    const gc = this.parts.gc;
    if (gc === undefined || !this.heapTrim.due(heapUsed)) return;
    gc();
    this.heapTrim.collected(readHeap().usedBytes);
  }
}
