// A memory budget for work in flight: a request is admitted only while the sum of reservations fits under
// min(--max-inflight-bytes, --max-memory - current RSS - margin). Pure: RSS and the clock are injected.
import { AdmissionRefusedError } from '../errors.js';

export interface InflightBudgetOptions {
  /** --max-inflight-bytes: the most all reservations may hold together. */
  readonly maxInflightBytes: number;
  /** --max-memory: the breaker's RSS. */
  readonly maxMemoryBytes: number;
  /** Room kept free below --max-memory for what the budget does not see (GC lag, commit buffer); default 5%, at least 8 MB. */
  readonly marginBytes?: number;
  readonly readRss: () => number;
  readonly now?: () => number;
  /** An RSS reading is reused this long (default 20 ms) near the limit: admission must not cost a syscall per request. */
  readonly rssMaxAgeMs?: number;
  /**
   * ... and this long (default 250 ms, the memory watch's own interval) while the last reading left more than a
   * quarter of --max-memory free: reading RSS costs 36-400 us (/proc, more under load), 2% of a small-answer run's CPU.
   */
  readonly rssFarMaxAgeMs?: number;
}

/** A real AbortSignal, or how to make one when a wait needs it (structurally the provider's SignalSource). */
export type SignalSource = AbortSignal | (() => AbortSignal);

export interface Reservation {
  /** Bytes held now. */
  readonly bytes: number;
  /**
   * Replaces the estimate with the real size (content-length x hold factor) before the body is read: shrinks at
   * once (undefined: nothing to wait for), or gives the estimate back and waits, ahead of new requests, until the
   * real size fits.
   */
  resize(realBytes: number, signal: SignalSource): Promise<void> | undefined;
  /** Holds `extraBytes` more (a chunked body read past its reservation); waits for room, ahead of new requests. */
  grow(extraBytes: number, signal: SignalSource): Promise<void> | undefined;
  /** Gives the bytes back; idempotent. */
  release(): void;
}

/** One admitted request's share of the budget; it is its own Reservation (no closures per request). */
class Holder implements Reservation {
  bytes = 0;
  released = false;
  /** The grow it waits for, if any. */
  blocked: Waiter | undefined = undefined;
  /** Its answer has begun (a resize or grow was asked): a request still queued for a socket cannot release. */
  started = false;

  constructor(
    readonly seq: number,
    private readonly budget: InflightBudget,
  ) {}

  resize(realBytes: number, signal: SignalSource): Promise<void> | undefined {
    return this.budget.resizeHolder(this, realBytes, signal);
  }

  grow(extraBytes: number, signal: SignalSource): Promise<void> | undefined {
    return this.budget.growHolder(this, wholeBytes(extraBytes), signal);
  }

  release(): void {
    this.budget.releaseHolder(this);
  }
}

interface Waiter {
  readonly bytes: number;
  readonly holder: Holder | undefined;
  readonly resolve: (holder: Holder) => void;
  readonly reject: (error: unknown) => void;
}

const MB = 1024 * 1024;
/** Free room (share of --max-memory) above which an RSS reading may be reused for rssFarMaxAgeMs. */
const FAR_SHARE = 0.25;

export class InflightBudget {
  private reserved = 0;
  private peak = 0;
  private seq = 0;
  private readonly holders = new Set<Holder>();
  /** Grows of admitted requests go first: they hold memory already, new requests would only add to it. */
  private readonly grows: Waiter[] = [];
  private readonly reserves: Waiter[] = [];
  private readonly margin: number;
  private readonly now: () => number;
  private readonly rssMaxAgeMs: number;
  private readonly rssFarMaxAgeMs: number;
  /** Whether the last reading left more than FAR_SHARE of --max-memory free. */
  private far = false;
  private rss = 0;
  private rssAt = Number.NEGATIVE_INFINITY;
  /** The lowest RSS seen: the process's baseline, for the whole budget one answer can ever have. */
  private baselineRss = Number.POSITIVE_INFINITY;

  constructor(private readonly options: InflightBudgetOptions) {
    this.margin = options.marginBytes ?? Math.max(8 * MB, Math.floor(options.maxMemoryBytes * 0.05));
    this.now = options.now ?? (() => performance.now());
    this.rssMaxAgeMs = options.rssMaxAgeMs ?? 20;
    this.rssFarMaxAgeMs = Math.max(this.rssMaxAgeMs, options.rssFarMaxAgeMs ?? 250);
    // Made at startup, before any answer: the first reading is the baseline the ceiling starts from.
    this.currentRss();
  }

  /** Bytes reserved now (the progress bar's "inflight"). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** The most ever reserved at once (`memory.inflight_peak_bytes`). */
  get peakBytes(): number {
    return this.peak;
  }

  /** Requests and grows waiting for room. */
  get waiting(): number {
    return this.grows.length + this.reserves.length;
  }

  /** What all reservations may hold together now. */
  limitBytes(): number {
    return Math.max(0, Math.min(this.options.maxInflightBytes, this.options.maxMemoryBytes - this.margin - this.currentRss()));
  }

  /** The whole budget one answer could ever get (nothing else in flight, RSS at its baseline); more is refused at once. */
  ceilingBytes(): number {
    this.currentRss();
    return Math.max(0, Math.min(this.options.maxInflightBytes, this.options.maxMemoryBytes - this.margin - this.baselineRss));
  }

  /**
   * Admits `estimateBytes` when it fits (FIFO behind earlier waiters), else waits for a release. Rejects with
   * AdmissionRefusedError('too_large') at once when it could never fit, and with the signal's reason on abort.
   */
  reserve(estimateBytes: number, signal: AbortSignal): Promise<Reservation> {
    const now = this.tryReserve(estimateBytes);
    if (now !== undefined) return Promise.resolve(now);
    const bytes = wholeBytes(estimateBytes);
    const ceiling = this.ceilingBytes();
    if (bytes > ceiling) return Promise.reject(new AdmissionRefusedError('too_large', bytes, ceiling));
    return this.enqueue(this.reserves, bytes, undefined, signal);
  }

  /** The reservation when `estimateBytes` fits at once with nobody waiting; undefined: use reserve(). */
  tryReserve(estimateBytes: number): Reservation | undefined {
    const bytes = wholeBytes(estimateBytes);
    if (this.grows.length !== 0 || this.reserves.length !== 0 || bytes > this.ceilingBytes() || !this.fits(bytes, 0)) return undefined;
    return this.admit(bytes);
  }

  /** @internal Holder.resize */
  resizeHolder(holder: Holder, realBytes: number, signal: SignalSource): Promise<void> | undefined {
    holder.started = true;
    const target = wholeBytes(realBytes);
    if (target > holder.bytes && !holder.released) {
      // The body is still in the socket: the estimate is no real memory, so it is given back while this waits.
      // (Holding it would let requests that all resize at once wait on each other.)
      this.reserved -= holder.bytes;
      holder.bytes = 0;
      return this.growHolder(holder, target, signal);
    }
    if (target === holder.bytes) return undefined;
    if (!holder.released) {
      this.reserved -= holder.bytes - target;
      holder.bytes = target;
      this.pump();
    }
    return undefined;
  }

  /** @internal Holder.grow */
  growHolder(holder: Holder, extra: number, signal: SignalSource): Promise<void> | undefined {
    holder.started = true;
    if (holder.released) return Promise.reject(new AdmissionRefusedError('preempted', holder.bytes, this.limitBytes()));
    if (extra === 0) return undefined;
    const ceiling = this.ceilingBytes();
    if (holder.bytes + extra > ceiling) return Promise.reject(new AdmissionRefusedError('too_large', holder.bytes + extra, ceiling));
    if (this.grows.length === 0 && this.fits(extra, holder.bytes)) {
      this.add(holder, extra);
      return undefined;
    }
    return this.enqueue(this.grows, extra, holder, signal).then(() => undefined);
  }

  /** Room for `extra` more: under the limit, or (so the budget never stalls) nobody else holds anything. */
  private fits(extra: number, own: number): boolean {
    if (this.reserved + extra <= this.limitBytes()) return true;
    return this.reserved - own === 0 && own + extra <= this.ceilingBytes();
  }

  private admit(bytes: number): Holder {
    const holder = new Holder(this.seq++, this);
    this.holders.add(holder);
    this.add(holder, bytes);
    return holder;
  }

  private add(holder: Holder, bytes: number): void {
    holder.bytes += bytes;
    this.reserved += bytes;
    if (this.reserved > this.peak) this.peak = this.reserved;
  }

  /** @internal Holder.release */
  releaseHolder(holder: Holder): void {
    if (holder.released) return;
    this.drop(holder);
    this.pump();
  }

  private drop(holder: Holder): void {
    holder.released = true;
    this.holders.delete(holder);
    this.reserved -= holder.bytes;
    holder.bytes = 0;
  }

  private enqueue(queue: Waiter[], bytes: number, holder: Holder | undefined, source: SignalSource): Promise<Holder> {
    const signal = typeof source === 'function' ? source() : source;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Holder>((resolve, reject) => {
      const onAbort = (): void => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        if (holder !== undefined) holder.blocked = undefined;
        settled(abortReason(signal), false);
        this.pump();
      };
      const settled = (value: Holder | unknown, ok: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        if (ok) resolve(value as Holder);
        else reject(value);
      };
      const waiter: Waiter = { bytes, holder, resolve: (h) => settled(h, true), reject: (error) => settled(error, false) };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      if (holder !== undefined) holder.blocked = waiter;
      this.pump();
    });
  }

  /** Wakes waiters in order: grows first, then new requests; breaks a stall where every holder waits to grow. */
  private pump(): void {
    for (;;) {
      const grow = this.grows[0];
      if (grow !== undefined) {
        const holder = grow.holder as Holder;
        if (this.fits(grow.bytes, holder.bytes)) {
          this.grows.shift();
          holder.blocked = undefined;
          this.add(holder, grow.bytes);
          grow.resolve(holder);
          continue;
        }
        if (!this.preemptIfStalled()) return;
        continue;
      }
      const next = this.reserves[0];
      if (next === undefined || !this.fits(next.bytes, 0)) return;
      this.reserves.shift();
      next.resolve(this.admit(next.bytes));
    }
  }

  /**
   * When every holder whose answer has begun waits to grow, nothing will ever be released (the others may be
   * queued behind them for a socket): the youngest gives its room back (its request is sent again later) so the
   * oldest can finish. Returns whether one was preempted.
   */
  private preemptIfStalled(): boolean {
    let youngest: Holder | undefined;
    let holding = 0;
    for (const holder of this.holders) {
      if (holder.bytes === 0 || !holder.started) continue;
      if (holder.blocked === undefined) return false;
      holding++;
      if (youngest === undefined || holder.seq > youngest.seq) youngest = holder;
    }
    // A lone holder always fits (see fits()); two or more that all wait can only be untied by one giving way.
    if (youngest === undefined || holding < 2) return false;
    const waiter = youngest.blocked as Waiter;
    this.grows.splice(this.grows.indexOf(waiter), 1);
    youngest.blocked = undefined;
    const bytes = youngest.bytes;
    this.drop(youngest);
    waiter.reject(new AdmissionRefusedError('preempted', bytes, this.limitBytes()));
    return true;
  }

  private currentRss(): number {
    const now = this.now();
    if (now - this.rssAt >= (this.far ? this.rssFarMaxAgeMs : this.rssMaxAgeMs)) {
      this.rss = this.options.readRss();
      this.rssAt = now;
      this.far = this.options.maxMemoryBytes - this.margin - this.rss - this.reserved > this.options.maxMemoryBytes * FAR_SHARE;
      if (this.rss < this.baselineRss) this.baselineRss = this.rss;
    }
    return this.rss;
  }
}

function wholeBytes(bytes: number): number {
  return Number.isFinite(bytes) && bytes > 0 ? Math.ceil(bytes) : 0;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
