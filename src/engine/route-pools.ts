// One pool per route: its provider, concurrency (AIMD under the governor's ceiling), rate caps and dispatcher.
// Every pool shares the run's checkpoint, response cache, memory governor and memory budget. Without --routes
// the flags form one implicit route, and the run has one pool, exactly as before.
import type { ProviderError } from '../errors.js';
import type { Job } from '../input/record.js';
import type { Provider } from '../provider/provider.js';
import type { Route } from '../routing/route.js';
import { Router } from '../routing/router.js';
import { AdaptiveConcurrency, ConcurrencyGate } from './adaptive-concurrency.js';
import type { AttemptLayer, DispatchCounters, ProviderRequest } from './dispatch/request.js';
import { Dispatcher } from './dispatcher.js';
import { TrafficControl } from '../traffic/traffic-control.js';
import { TokenBucket } from './rate-limit.js';

export interface RouteTarget {
  readonly route: Route;
  readonly provider: Provider;
}

export interface RoutePool {
  readonly route: Route;
  readonly provider: Provider;
  readonly concurrency: AdaptiveConcurrency;
  readonly gate: ConcurrencyGate;
  readonly dispatcher: Dispatcher;
}

export interface RoutePoolsParts {
  readonly targets: readonly RouteTarget[];
  readonly maxRetries: number;
  readonly counters: DispatchCounters;
  readonly requests: AbortSignal;
  readonly stopping: AbortSignal;
  /** Where each pool's concurrency starts (a fresh worker starts from what the last one learned). */
  readonly startingConcurrency: (ceiling: number) => number;
  /** Layers right before the wire, per route (memory admission is shared; the spend breaker knows the route's max_tokens). */
  readonly innerLayers: (route: Route) => readonly AttemptLayer[];
  readonly onRetry?: (request: ProviderRequest, error: ProviderError, attempt: number, delayMs: number) => void;
  /** Each rate refusal (429), for logging a storm once per window. */
  readonly onRefused?: (error: ProviderError) => void;
}

export class RoutePools {
  readonly router: Router;
  readonly pools: readonly RoutePool[];
  private readonly byRoute = new Map<Route, RoutePool>();
  /** Each pool's limit when the breaker tripped: a reset restores them instead of growing back from 1. */
  private savedLimits: number[] | undefined;

  constructor(parts: RoutePoolsParts) {
    if (parts.targets.length === 0) throw new Error('a run needs at least one route');
    this.router = new Router(parts.targets.map((target) => target.route));
    this.pools = parts.targets.map(({ route, provider }) => {
      const concurrency = new AdaptiveConcurrency({ ceiling: route.concurrency, initial: parts.startingConcurrency(route.concurrency) });
      const gate = new ConcurrencyGate(concurrency);
      const dispatcher = new Dispatcher({
        provider,
        maxRetries: parts.maxRetries,
        gate,
        concurrency,
        // Each route learns its own server's limit.
        traffic: new TrafficControl(),
        rpm: route.rpm === undefined ? undefined : new TokenBucket(route.rpm),
        tpm: route.tpm === undefined ? undefined : new TokenBucket(route.tpm),
        counters: parts.counters,
        requests: parts.requests,
        stopping: parts.stopping,
        innerLayers: parts.innerLayers(route),
        ...(parts.onRetry === undefined ? {} : { onRetry: parts.onRetry }),
        ...(parts.onRefused === undefined ? {} : { onRefused: parts.onRefused }),
      });
      const pool: RoutePool = { route, provider, concurrency, gate, dispatcher };
      this.byRoute.set(route, pool);
      return pool;
    });
  }

  /** The pool of a job's model (RouteNotFoundError, exit 2, when no route matches: the reader checked it already). */
  forJob(job: Pick<Job, 'line' | 'body'>): RoutePool {
    return this.byRoute.get(this.router.routeFor(job)) as RoutePool;
  }

  /** The first pool: the implicit route's, or the first of --routes (for messages that name one server). */
  get primary(): RoutePool {
    return this.pools[0] as RoutePool;
  }

  /** Sum of the routes' --concurrency: the ceiling of the whole run. */
  get totalCeiling(): number {
    return this.pools.reduce((sum, pool) => sum + pool.route.concurrency, 0);
  }

  /** Requests allowed in flight now, over every pool. */
  get limit(): number {
    return this.pools.reduce((sum, pool) => sum + pool.concurrency.limit, 0);
  }

  get inFlight(): number {
    return this.pools.reduce((sum, pool) => sum + pool.gate.inFlight, 0);
  }

  /** The governor's rule applied to each route's own ceiling (CAUTIOUS halves each, BREAKER leaves 1). */
  applyCeiling(ceilingFor: (base: number) => number): void {
    for (const pool of this.pools) {
      pool.concurrency.setCeiling(Math.max(1, ceilingFor(pool.route.concurrency)));
      pool.gate.notify();
    }
  }

  saveLimits(): void {
    this.savedLimits = this.pools.map((pool) => pool.concurrency.limit);
  }

  /** After a breaker reset: each pool back at the limit it had when the breaker tripped (within its new ceiling). */
  restoreLimits(): void {
    for (const [index, pool] of this.pools.entries()) {
      pool.concurrency.restore(this.savedLimits?.[index] ?? pool.concurrency.ceiling);
      pool.gate.notify();
    }
    this.savedLimits = undefined;
  }

  hold(): void {
    for (const pool of this.pools) pool.gate.hold();
  }

  resume(): void {
    for (const pool of this.pools) pool.gate.resume();
  }
}
