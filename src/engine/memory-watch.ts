// Samples this process's memory on an unref'd timer (and on demand at batch boundaries), feeds the governor,
// looks at the V8 heap every 50 ms, and hands out a full sample at least once a second for the checkpoint.
import v8 from 'node:v8';
import type { MemorySample } from '../checkpoint/store.js';
import type { Governor, GovernorDecision } from './governor.js';

export interface MemoryReading {
  readonly rss: number;
  readonly heapUsed: number;
}

export interface HeapReading {
  /** Bytes of the V8 heap in use, live or garbage. */
  readonly usedBytes: number;
  /** Bytes reserved for the young generation (both semi-spaces). */
  readonly newSpaceBytes: number;
}

/** One look at V8's spaces, no syscall and no heap walk: cheap enough for twenty times a second. */
export function readHeap(): HeapReading {
  let usedBytes = 0;
  let newSpaceBytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    usedBytes += space.space_used_size;
    if (space.space_name === 'new_space') newSpaceBytes = space.space_size;
  }
  return { usedBytes, newSpaceBytes };
}

export interface MemoryWatchOptions {
  readonly intervalMs?: number;
  /** Readings closer together than this reuse the governor's state (intake checks at every batch). */
  readonly minReadIntervalMs?: number;
  /** A reading below this many bytes is far from every threshold: it is reused for farReadIntervalMs instead. */
  readonly farBelowBytes?: number;
  /** Default 50 ms, still 5x the interval timer's pace; reading RSS costs 36-400 us under load (2.5% of a chat run). */
  readonly farReadIntervalMs?: number;
  readonly sampleEveryMs?: number;
  /** How often onHeap sees the heap: once a second let it grow by tens of MB between two looks. */
  readonly heapEveryMs?: number;
  readonly read?: () => MemoryReading;
  readonly readHeap?: () => HeapReading;
  readonly readRss?: () => number;
  readonly now?: () => number;
  /** Every reading, with the governor's decision. */
  readonly onReading?: (rss: number, decision: GovernorDecision) => void;
  /** A full sample, at most every sampleEveryMs. */
  readonly onSample?: (sample: Omit<MemorySample, 'batchSize' | 'concurrency' | 'state' | 'done'>) => void;
  /** The heap, at most every heapEveryMs. */
  readonly onHeap?: (heap: HeapReading) => void;
}

export class MemoryWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastSampleAt = Number.NEGATIVE_INFINITY;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private lastHeapAt = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly minReadIntervalMs: number;
  private readonly farReadIntervalMs: number;
  /** Whether the last reading was below farBelowBytes. */
  private far = false;
  private readonly sampleEveryMs: number;
  private readonly heapEveryMs: number;
  private readonly readHeap: () => HeapReading;
  private readonly readRss: () => number;
  private readonly read: () => MemoryReading;
  private readonly now: () => number;

  constructor(
    private readonly governor: Governor,
    private readonly options: MemoryWatchOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.sampleEveryMs = options.sampleEveryMs ?? 1000;
    this.heapEveryMs = options.heapEveryMs ?? 50;
    this.readHeap = options.readHeap ?? readHeap;
    // Reading RSS costs three syscalls; at thousands of batches a second that was 1.5% of a run's CPU.
    this.minReadIntervalMs = options.minReadIntervalMs ?? 5;
    this.farReadIntervalMs = Math.max(this.minReadIntervalMs, options.farReadIntervalMs ?? 50);
    // rss() alone is cheap; the full memoryUsage() walks the heap spaces, so only the samples use it.
    this.readRss = options.readRss ?? (() => process.memoryUsage.rss());
    this.read = options.read ?? (() => process.memoryUsage());
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
    this.check();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One reading now (at every batch boundary and on every tick), or the state as it is when one was just taken. */
  check(): GovernorDecision {
    const now = this.now();
    if (now - this.lastReadAt < (this.far ? this.farReadIntervalMs : this.minReadIntervalMs)) {
      const state = this.governor.state;
      return { state, previous: state, changed: false };
    }
    this.lastReadAt = now;
    let rss: number;
    if (now - this.lastSampleAt >= this.sampleEveryMs) {
      const reading = this.read();
      rss = reading.rss;
      this.lastSampleAt = now;
      this.options.onSample?.({ t: now, rss, heapUsed: reading.heapUsed });
    } else {
      rss = this.readRss();
    }
    if (this.options.onHeap !== undefined && now - this.lastHeapAt >= this.heapEveryMs) {
      this.lastHeapAt = now;
      this.options.onHeap(this.readHeap());
    }
    this.far = this.options.farBelowBytes !== undefined && rss < this.options.farBelowBytes;
    const decision = this.governor.observe(rss);
    this.options.onReading?.(rss, decision);
    return decision;
  }
}
