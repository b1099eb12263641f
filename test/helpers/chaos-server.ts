// A chaos server whose faults are drawn per (record, attempt) from a seed, not per arrival order: the same
// seed gives every record the same fate whatever the timing, so a test can predict each record's requests and
// outcome exactly. Every answer is logged with the time it was given.
import { createHash } from 'node:crypto';
import { type Fault, type FaultRequest, type FaultServer, startFaultServer } from './fault-server.js';

export type ChaosKind = 'ok' | 'r429' | 'r500' | 'reset' | 'truncate' | 'slow';

/** Probability of each fault per attempt; the rest is 'ok'. */
export type ChaosRates = Readonly<Record<Exclude<ChaosKind, 'ok'>, number>>;

export interface ChaosAnswer {
  /** The fault server's request number. */
  readonly n: number;
  readonly key: string;
  /** 1-based attempt of this key on this server. */
  readonly attempt: number;
  readonly kind: ChaosKind;
  /** Date.now() just before the answer was written. */
  readonly at: number;
  /** Retry-After of a 429, in seconds. */
  readonly retryAfter: string | undefined;
}

export interface ChaosServerOptions {
  readonly rates: ChaosRates;
  readonly seed: number;
  /** The record a request is for (the same on every attempt). */
  readonly key: (request: FaultRequest) => string | undefined;
  /** How long a 'slow' answer waits: longer than the client's --timeout. */
  readonly slowMs: number;
  /** 1-based ordinals of the 429s (in the order served) that carry this Retry-After instead of '0'. */
  readonly longPauses?: { readonly ordinals: readonly number[]; readonly retryAfter: string };
}

export interface ChaosServer {
  readonly server: FaultServer;
  readonly answers: ChaosAnswer[];
}

const KINDS: readonly Exclude<ChaosKind, 'ok'>[] = ['r429', 'r500', 'reset', 'truncate', 'slow'];

/** The fate of attempt `attempt` of `key`: a pure function of the seed. */
export function chaosDraw(seed: number, key: string, attempt: number, rates: ChaosRates): ChaosKind {
  let draw = createHash('sha256').update(`${seed}:${key}:${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
  for (const kind of KINDS) {
    if (draw < rates[kind]) return kind;
    draw -= rates[kind];
  }
  return 'ok';
}

/** The attempt at which `key` first gets an 'ok', counting from `from`. */
export function firstOkAttempt(seed: number, key: string, rates: ChaosRates, from = 1): number {
  let attempt = from;
  while (chaosDraw(seed, key, attempt, rates) !== 'ok') attempt++;
  return attempt;
}

/** The error code memsafe records for a record whose last attempt met this fault. */
export const EXPECTED_CODE: Readonly<Record<Exclude<ChaosKind, 'ok'>, string>> = {
  r429: 'http_429',
  r500: 'http_500',
  reset: 'connection_reset',
  truncate: 'body_truncated',
  slow: 'timeout',
};

export async function startChaosServer(options: ChaosServerOptions): Promise<ChaosServer> {
  const answers: ChaosAnswer[] = [];
  const attempts = new Map<string, number>();
  let throttled = 0;
  const server = await startFaultServer({
    behaviour: (request) => {
      const key = options.key(request) ?? `request-${request.n}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const kind = chaosDraw(options.seed, key, attempt, options.rates);
      let retryAfter: string | undefined;
      if (kind === 'r429') {
        throttled++;
        retryAfter = options.longPauses?.ordinals.includes(throttled) === true ? options.longPauses.retryAfter : '0';
      }
      answers.push({ n: request.n, key, attempt, kind, at: Date.now(), retryAfter });
      return faultOf(kind, retryAfter ?? '0', options.slowMs);
    },
  });
  return { server, answers };
}

function faultOf(kind: ChaosKind, retryAfter: string, slowMs: number): Fault {
  switch (kind) {
    case 'ok':
      return 'ok';
    case 'r429':
      return {
        status: 429,
        body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        headers: { 'retry-after': retryAfter },
      };
    case 'r500':
      return { status: 500, body: { error: { message: 'The server had an error while processing your request', type: 'server_error' } } };
    case 'reset':
    case 'truncate':
      return kind;
    case 'slow':
      return { slowMs };
  }
}
