// The memory breaker procedure: intake has stopped; hold the queue, let requests on the wire finish (abort them
// after --timeout), commit, write an optional heap snapshot, then re-sample with doubling waits for
// --breaker-wait. Resume at the minimum batch size when RSS fell below --warn-memory; otherwise halt (exit 75).
import type { Logger } from 'pino';
import type { ConcurrencyGate } from '../adaptive-concurrency.js';
import { breakerVerdict, breakerWaits } from '../governor.js';
import type { MemoryControl } from '../memory-control.js';
import { sleep } from '../retry.js';
import type { RunStats } from '../run-stats.js';
import type { WorkTracker } from '../work-tracker.js';
import type { StopControl } from './stop-control.js';

export interface BreakerOptions {
  readonly maxMemoryBytes: number;
  readonly warnMemoryBytes: number;
  readonly timeoutMs: number;
  readonly breakerWaitMs: number;
  readonly heapSnapshotDir: string | undefined;
}

export interface BreakerParts {
  readonly options: BreakerOptions;
  readonly memory: Pick<MemoryControl, 'check' | 'lastRss' | 'readRss' | 'collectGarbage' | 'resetBreaker'>;
  readonly gate: Pick<ConcurrencyGate, 'hold' | 'resume' | 'inFlight'>;
  readonly tracker: Pick<WorkTracker, 'active' | 'nextFinished'>;
  readonly stops: StopControl;
  readonly stats: RunStats;
  readonly logger: Logger;
  /** Commits what finished (never throws: a failing commit ends the run through the fatal stop). */
  readonly commit: () => void;
  readonly event: (kind: string, detail: Record<string, unknown>) => void;
  readonly writeHeapSnapshot: ((dir: string) => string | undefined) | undefined;
}

export class Breaker {
  constructor(private readonly parts: BreakerParts) {}

  /** Runs the whole procedure; on return the run either goes on (reset) or is stopping (halt, or a signal). */
  async trip(): Promise<void> {
    const { options, memory, gate, stats, logger, event } = this.parts;
    stats.breakerTrips++;
    const rssAtTrip = memory.lastRss;
    event('breaker_trip', { rss: rssAtTrip, max: options.maxMemoryBytes });
    logger.warn({ rss: rssAtTrip, maxMemory: options.maxMemoryBytes }, 'memory breaker tripped: intake stopped, finishing requests in flight');
    // Jobs queued for a slot are not sent while memory is over the limit; a halt forgets them for the next run.
    gate.hold();
    try {
      await this.finishInFlight();
      await this.recoverOrHalt(rssAtTrip);
    } finally {
      gate.resume();
    }
  }

  /** After the input ended: the last requests can still cross --max-memory, and the breaker acts there too. */
  async guardDrain(): Promise<void> {
    const { memory, tracker, stops } = this.parts;
    while (tracker.active > 0 && !stops.stopping) {
      if (memory.check() === 'BREAKER') await this.trip();
      else await tracker.nextFinished();
    }
  }

  /** Waits until no request is on the wire (queued ones stay queued); aborts them after --timeout. */
  private async finishInFlight(): Promise<void> {
    const { options, gate, tracker, stops } = this.parts;
    const timer = setTimeout(() => stops.abortRequests(new Error('breaker: in-flight requests over --timeout')), options.timeoutMs);
    try {
      while (gate.inFlight > 0) await tracker.nextFinished();
    } finally {
      clearTimeout(timer);
    }
  }

  private async recoverOrHalt(rssAtTrip: number): Promise<void> {
    const { options, memory, stats, logger, event, stops } = this.parts;
    this.parts.commit();
    if (options.heapSnapshotDir !== undefined && this.parts.writeHeapSnapshot !== undefined) {
      const file = this.parts.writeHeapSnapshot(options.heapSnapshotDir);
      if (file !== undefined) logger.warn({ file }, 'heap snapshot written');
    }
    let rss = memory.lastRss;
    for (const waitMs of breakerWaits(options.breakerWaitMs)) {
      memory.collectGarbage();
      try {
        await sleep(waitMs, stops.stoppingSignal);
      } catch {
        return; // a signal arrived: the stop path takes over
      }
      rss = memory.readRss();
      if (breakerVerdict(rss, options.warnMemoryBytes) === 'resume') {
        memory.resetBreaker();
        stats.breakerResets++;
        event('breaker_reset', { rss });
        logger.info({ rss }, 'memory fell below --warn-memory: resuming at the minimum batch size');
        return;
      }
    }
    event('breaker_halt', { rss });
    stops.stop(
      'breaker',
      `memory stayed above --warn-memory (${rss} bytes RSS) after the breaker tripped at ${rssAtTrip} bytes (--max-memory ${options.maxMemoryBytes})`,
    );
  }
}
