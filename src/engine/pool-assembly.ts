// The request path of each route, assembled: a pool per route whose attempts pass the spend breaker and the
// memory budget (both shared by every route) right before the wire, starting at the concurrency last learned.
import type { MemoryAdmission } from '../admission/memory-admission.js';
import { startingConcurrency } from '../admission/restart-start.js';
import { spendLayer } from '../cost/spend-layer.js';
import { LogOncePerWindow } from '../traffic/log-once.js';
import { admissionLayer } from './dispatch/admission-layer.js';
import { notSentError } from './dispatch/not-sent.js';
import type { EngineParts } from './engine-types.js';
import { RoutePools } from './route-pools.js';
import type { RunStats } from './run-stats.js';
import type { StopControl } from './stops/stop-control.js';

export interface PoolAssemblyParts {
  readonly parts: Pick<EngineParts, 'targets' | 'options' | 'cost' | 'logger' | 'redact' | 'previousEnd'>;
  readonly stops: StopControl;
  readonly stats: RunStats;
  readonly admission: MemoryAdmission;
  /** The concurrency the last run reached (all routes together), from the checkpoint. */
  readonly learnedConcurrency: number | undefined;
  /** A request started waiting out a retry delay: the intake window, which does not count such waits, may move on. */
  readonly onRetryWait: () => void;
}

/** One log line per this window for a storm of 429s. */
const REFUSAL_LOG_WINDOW_MS = 10_000;

export function assemblePools({ parts, stops, stats, admission, learnedConcurrency, onRetryWait }: PoolAssemblyParts): RoutePools {
  // A storm of 429s is logged once per window, with how many were left out.
  const refusals = new LogOncePerWindow(REFUSAL_LOG_WINDOW_MS, Date.now);
  const totalCeiling = parts.targets.reduce((sum, target) => sum + target.route.concurrency, 0);
  return new RoutePools({
    targets: parts.targets,
    maxRetries: parts.options.maxRetries,
    counters: stats,
    requests: stops.requestsSignal,
    stopping: stops.stoppingSignal,
    // The learned total is shared out in proportion to each route's ceiling.
    startingConcurrency: (ceiling) =>
      startingConcurrency(ceiling, learnedConcurrency === undefined ? undefined : Math.ceil((learnedConcurrency * ceiling) / totalCeiling), parts.previousEnd),
    innerLayers: (route) => [
      spendLayer({
        tracker: parts.cost,
        fallbackMaxTokens: () => route.maxTokens,
        exhausted: (reason) => {
          stops.stop('budget', reason);
          return notSentError(stops.stoppingSignal);
        },
      }),
      admissionLayer(admission, stops.stoppingSignal),
    ],
    onRetry: (request, error, attempt, delayMs) => {
      parts.logger.debug({ endpoint: request.endpoint, code: error.code, attempt, delayMs }, `retrying: ${parts.redact(error.message)}`);
      onRetryWait();
    },
    onRefused: (error) => {
      const once = refusals.hit('429');
      if (once.log) parts.logger.warn({ code: error.code, suppressed: once.suppressed }, `rate limited: ${parts.redact(error.message)}${once.suppressed > 0 ? ` (and ${once.suppressed} more since the last report)` : ''}`);
    },
  });
}
