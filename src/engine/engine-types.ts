// What a run is given and what it gives back: the engine's contract with cli/run-job.ts.
import type { Logger } from 'pino';
import type { PreviousEnd } from '../admission/restart-start.js';
import type { CheckpointStore, RunCounters } from '../checkpoint/store.js';
import type { RunOptions } from '../config/run-options.js';
import type { MemsafeError } from '../errors.js';
import type { InputSource } from '../input/open-input.js';
import type { NormalizeOptions } from '../input/normalize.js';
import type { CostTracker } from '../cost/cost-tracker.js';
import type { RouteTarget } from './route-pools.js';
import type { GovernorState } from './governor.js';
import type { StopSignals } from './stops/signal-stop.js';
import type { StopReason } from './stops/stop-control.js';

export type { StopReason } from './stops/stop-control.js';

export interface EngineSnapshot {
  readonly bytesRead: number;
  readonly done: number;
  readonly failed: number;
  readonly cached: number;
  readonly skipped: number;
  readonly rssBytes: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly state: GovernorState;
  /** Bytes reserved for answers in flight (the memory budget). */
  readonly inflightBytes: number;
  /** Traffic control: the rate it paces to (null while unbounded) and the share of recent answers refused. */
  readonly learnedRateRps?: number | null;
  readonly refusedShare?: number;
}

export interface EngineParts {
  readonly options: RunOptions;
  readonly store: CheckpointStore;
  readonly input: InputSource;
  /** One per route (the flags form one implicit route): its provider and limits. */
  readonly targets: readonly RouteTarget[];
  /** Prices every answer; with --max-cost also reserves before each request. */
  readonly cost: CostTracker;
  readonly normalise: NormalizeOptions;
  readonly logger: Logger;
  readonly onProgress?: (snapshot: EngineSnapshot) => void;
  /** Collects garbage when the process exposes it (CAUTIOUS and breaker). */
  readonly gc?: (() => void) | undefined;
  /** Lets V8's young generation grow or holds it (young-generation-cap.ts); tests leave it out, so their own V8 is left alone. */
  readonly setYoungGenerationGrowth?: ((grow: boolean) => void) | undefined;
  readonly writeHeapSnapshot?: ((dir: string) => string) | undefined;
  /** Scrubs known secrets out of texts before they are logged or stored. */
  readonly redact: (text: string) => string;
  /** The options as the runs table keeps them (no secrets). */
  readonly recordedOptions: Record<string, unknown>;
  /** How the previous worker of this command ended (--restarts): a fresh one starts lower after an OOM kill. */
  readonly previousEnd?: PreviousEnd;
}

/** SIGINT/SIGTERM from the CLI: `stop` is graceful, `abort` (second SIGINT) cuts requests in flight. */
export type EngineControl = StopSignals;

export interface EngineResult {
  readonly status: 'done' | 'done-with-failures' | 'halted' | 'interrupted' | 'error';
  readonly exitCode: number;
  readonly counters: RunCounters;
  readonly stopReason: StopReason | undefined;
  readonly haltReason: string | null;
  readonly error: MemsafeError | undefined;
  readonly run: number;
  readonly initialRss: number;
  readonly finalRss: number;
  readonly elapsedMs: number;
  /** The most bytes reserved for answers in flight at once. */
  readonly inflightPeakBytes: number;
  /** Models the run's requests named (for unloading them from Ollama). */
  readonly models: readonly string[];
}
