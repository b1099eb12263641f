// A deterministic discrete-event simulation of clients (each with its own TrafficControl and concurrency slots)
// against a simulated limiter, on one injected clock: the traffic policies' behaviour without real time.
import type { RateLimitSnapshot } from '../../src/provider/rate-limit-headers.js';
import { type Ticket, TrafficControl, type TrafficControlOptions } from '../../src/traffic/traffic-control.js';

export interface LimiterVerdict {
  readonly ok: boolean;
  readonly snapshot?: RateLimitSnapshot;
}

export interface SimLimiter {
  decide(now: number, tokens: number): LimiterVerdict;
}

/** nginx limit_req: `rate` per second, `burst` extra requests admitted at once (nodelay), then 429. */
export function burstLimiter(ratePerSecond: number, burst: number, retryAfterMs?: number): SimLimiter {
  let level = burst + 1;
  let at = 0;
  return {
    decide(now) {
      level = Math.min(burst + 1, level + ((now - at) * ratePerSecond) / 1000);
      at = now;
      if (level >= 1) {
        level -= 1;
        return { ok: true };
      }
      return { ok: false, ...(retryAfterMs === undefined ? {} : { snapshot: { retryAfterMs } }) };
    },
  };
}

/** OpenAI-style request and token buckets (capacity = one window's worth) with x-ratelimit-* on every answer. */
export function openAiLimiter(requestsPerWindow: number, tokensPerWindow: number, windowMs: number): SimLimiter {
  const buckets = { requests: { level: requestsPerWindow, cap: requestsPerWindow }, tokens: { level: tokensPerWindow, cap: tokensPerWindow } };
  let at = 0;
  return {
    decide(now, tokens) {
      for (const bucket of Object.values(buckets)) bucket.level = Math.min(bucket.cap, bucket.level + ((now - at) * bucket.cap) / windowMs);
      at = now;
      const ok = buckets.requests.level >= 1 && buckets.tokens.level >= tokens;
      if (ok) {
        buckets.requests.level -= 1;
        buckets.tokens.level -= tokens;
      }
      const reset = (bucket: { level: number; cap: number }): number => ((bucket.cap - bucket.level) * windowMs) / bucket.cap;
      return {
        ok,
        snapshot: {
          limitRequests: requestsPerWindow, limitTokens: tokensPerWindow,
          remainingRequests: Math.floor(buckets.requests.level), remainingTokens: Math.floor(buckets.tokens.level),
          resetRequestsMs: Math.ceil(reset(buckets.requests)), resetTokensMs: Math.ceil(reset(buckets.tokens)),
        },
      };
    },
  };
}

/** No limit at all, but a seeded `share` of requests shed with 429 + Retry-After. */
export function sheddingLimiter(share: number, retryAfterMs: number, random: () => number): SimLimiter {
  return { decide: () => (random() < share ? { ok: false, snapshot: { retryAfterMs } } : { ok: true }) };
}

export interface SimClient {
  readonly concurrency: number;
  readonly latencyMs: number;
  readonly tokensPerRequest?: number;
  /** Starts sending at this time (default 0). */
  readonly startAt?: number;
  /** Records to finish (each retried until accepted); unlimited demand when absent. */
  readonly records?: number;
}

export interface ClientResult {
  accepted: number;
  refused: number;
  /** Accepted / refused answers that arrived after `measureFrom`. */
  acceptedMeasured: number;
  refusedMeasured: number;
  /** When the last of `records` was accepted (undefined: not finished, or unlimited demand). */
  finishedAt: number | undefined;
  control: TrafficControl;
}

export interface SimulationOptions {
  readonly clients: readonly SimClient[];
  readonly limiter: SimLimiter;
  readonly durationMs: number;
  /** Counts of the measured window start here (default 0). */
  readonly measureFrom?: number;
  readonly seed?: number;
  readonly traffic?: Omit<TrafficControlOptions, 'clock' | 'sleep' | 'random'>;
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export function simulate(options: SimulationOptions): ClientResult[] {
  let now = 0;
  let seq = 0;
  const queue = new MinHeap();
  const schedule = (at: number, run: () => void): void => queue.push({ at, seq: seq++, run });
  const random = mulberry32(options.seed ?? 7);
  const jitter = mulberry32((options.seed ?? 7) + 1);
  const measureFrom = options.measureFrom ?? 0;

  const results = options.clients.map((client) => {
    const control = new TrafficControl({ ...options.traffic, clock: () => now, sleep: () => Promise.resolve(), random });
    const result: ClientResult = { accepted: 0, refused: 0, acceptedMeasured: 0, refusedMeasured: 0, finishedAt: undefined, control };
    let unsent = client.records ?? Number.POSITIVE_INFINITY;
    const retries: { readyAt: number; attempt: number }[] = [];
    const tokens = client.tokensPerRequest ?? 0;

    const step = (held?: { attempt: number }): void => {
      let item = held;
      if (item === undefined) {
        const ready = retries.findIndex((retry) => retry.readyAt <= now);
        if (ready >= 0) item = retries.splice(ready, 1)[0];
        else if (unsent > 0) {
          unsent--;
          item = { attempt: 0 };
        } else {
          // Nothing new: this slot wakes for the earliest retry (another slot may take it first), or ends.
          const next = Math.min(...retries.map((retry) => retry.readyAt));
          if (Number.isFinite(next)) schedule(next, () => step());
          return;
        }
      }
      const admitted = control.tryAdmit(tokens);
      if (typeof admitted === 'number') {
        const waiting = item;
        schedule(now + admitted, () => step(waiting));
        return;
      }
      send(admitted, item?.attempt ?? 0);
    };

    const send = (ticket: Ticket, attempt: number): void => {
      // ±10% latency jitter: real answers do not come back in lockstep, and ties would favour the first client.
      const halfLatency = (client.latencyMs * (0.9 + 0.2 * jitter())) / 2;
      schedule(now + halfLatency, () => {
        const verdict = options.limiter.decide(now, tokens);
        schedule(now + halfLatency, () => answer(ticket, attempt, verdict));
      });
    };

    const answer = (ticket: Ticket, attempt: number, verdict: LimiterVerdict): void => {
      const measured = now >= measureFrom;
      if (verdict.ok) {
        control.onAnswer(ticket, verdict.snapshot);
        result.accepted++;
        if (measured) result.acceptedMeasured++;
        if (result.accepted === client.records) result.finishedAt = now;
      } else {
        control.onRefused(ticket, verdict.snapshot);
        result.refused++;
        if (measured) result.refusedMeasured++;
        retries.push({ readyAt: now + control.retryDelay(attempt + 1, verdict.snapshot?.retryAfterMs), attempt: attempt + 1 });
      }
      step();
    };

    for (let slot = 0; slot < client.concurrency; slot++) schedule(client.startAt ?? 0, () => step());
    return result;
  });

  for (let event = queue.pop(); event !== undefined && event.at <= options.durationMs; event = queue.pop()) {
    now = event.at;
    event.run();
  }
  return results;
}

class MinHeap {
  private readonly items: Event[] = [];

  push(item: Event): void {
    const items = this.items;
    items.push(item);
    for (let index = items.length - 1; index > 0; ) {
      const parent = (index - 1) >> 1;
      if (!before(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }

  pop(): Event | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    for (let index = 0; ; ) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === index) break;
      [items[index], items[smallest]] = [items[smallest]!, items[index]!];
      index = smallest;
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
