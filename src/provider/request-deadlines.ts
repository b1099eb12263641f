// One timer and one run-signal listener for every request in flight, instead of an AbortController, an abort
// listener and a setTimeout per request (7% of the CPU per record at zero latency).

type Listener = () => void;

/**
 * The abort handle of one request, handed to undici as its `signal` (undici accepts any object with
 * addEventListener/removeEventListener and reads `aborted` and `reason`: lib/api/api-request.js, core/util.js).
 */
export class RequestAbort {
  aborted = false;
  reason: unknown = undefined;
  /** The deadline fired (not the run's signal). */
  timedOut = false;
  /** performance.now() when the request started. */
  readonly startedAt: number;
  /** performance.now() at which the deadline fires. */
  readonly deadline: number;
  /** Undici adds one listener; more (the admission signal) go in `others`. */
  private first: Listener | undefined;
  private others: Listener[] | undefined;
  private controller: AbortController | undefined;
  /** @internal links of the in-flight list (oldest first); `linked` makes finish idempotent. */
  prev: RequestAbort | undefined;
  next: RequestAbort | undefined;
  linked = false;

  constructor(
    readonly runSignal: AbortSignal,
    startedAt: number,
    timeoutMs: number,
  ) {
    this.startedAt = startedAt;
    this.deadline = startedAt + timeoutMs;
  }

  addEventListener(_type: 'abort', listener: Listener): void {
    if (this.first === undefined) this.first = listener;
    else (this.others ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    if (this.first === listener) this.first = undefined;
    else if (this.others !== undefined) this.others = this.others.filter((other) => other !== listener);
  }

  /** A real AbortSignal that follows this handle, made only when asked (the admission hooks take one). */
  signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.aborted) controller.abort(this.reason);
      else this.addEventListener('abort', () => controller.abort(this.reason));
    }
    return this.controller.signal;
  }

  abort(reason: unknown, timedOut: boolean): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.timedOut = timedOut;
    const first = this.first;
    const others = this.others;
    this.first = undefined;
    this.others = undefined;
    first?.();
    if (others !== undefined) for (const listener of others) listener();
  }
}

/**
 * The requests in flight, oldest first. All share one timeout, so the oldest always has the nearest deadline:
 * one timer armed for it is enough. It fires at the same moment a per-request setTimeout would have.
 */
export class RequestDeadlines {
  private head: RequestAbort | undefined;
  private tail: RequestAbort | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly timeoutMs: number) {}

  /** Starts tracking one request; `runSignal` must not be aborted yet. */
  start(runSignal: AbortSignal): RequestAbort {
    if (!this.watched.has(runSignal)) {
      this.watched.add(runSignal);
      runSignal.addEventListener('abort', () => this.abortAll(runSignal), { once: true });
    }
    const handle = new RequestAbort(runSignal, performance.now(), this.timeoutMs);
    handle.linked = true;
    if (this.tail === undefined) this.head = handle;
    else {
      this.tail.next = handle;
      handle.prev = this.tail;
    }
    this.tail = handle;
    if (this.timer === undefined) this.arm(this.timeoutMs);
    return handle;
  }

  /** The request ended (any way); idempotent. */
  finish(handle: RequestAbort): void {
    if (!handle.linked) return;
    handle.linked = false;
    const { prev, next } = handle;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    handle.prev = undefined;
    handle.next = undefined;
    // Nothing in flight: no timer may keep the process up (a per-request timer was cleared the same way).
    if (this.head === undefined && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** How many requests are tracked (for tests). */
  get size(): number {
    let count = 0;
    for (let handle = this.head; handle !== undefined; handle = handle.next) count += 1;
    return count;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(delayMs)));
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    let handle = this.head;
    while (handle !== undefined && handle.deadline <= now) {
      this.finish(handle);
      handle.abort(new Error('deadline'), true);
      handle = this.head;
    }
    if (this.head !== undefined && this.timer === undefined) this.arm(this.head.deadline - now);
  }

  private abortAll(runSignal: AbortSignal): void {
    for (let handle = this.head; handle !== undefined; ) {
      const next = handle.next;
      if (handle.runSignal === runSignal) handle.abort(runSignal.reason, false);
      handle = next;
    }
  }
}
