// One POST through undici's dispatch API, its body collected straight from the handler callbacks: no response
// stream, no async iterator and no request() wrapper per call. With admission hooks the parser is paused
// (controller.pause) while a hook waits for room in the memory budget, so the rest of the body stays in the socket.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { BodySink } from './body-sink.js';

export interface ReadAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** undefined: the body passed its cap (or the declared length did) and the request was aborted. */
  readonly body: { readonly text: string; readonly bytes: number } | undefined;
}

export interface AnswerLimits {
  /** Cap of a 2xx body. */
  readonly okCap: number;
  /** Cap of any other body. */
  readonly errorCap: number;
}

/** A real AbortSignal, or how to make one: made only when a hook has to wait (an EventTarget per request costs). */
export type SignalSource = AbortSignal | (() => AbortSignal);

/** The memory budget's hooks on a 2xx body (structurally http-client's ResponseAdmission). */
export interface BodyAdmission {
  onHeaders(contentLength: number | undefined, signal: SignalSource): Promise<void> | undefined;
  onChunk(bytes: number, signal: SignalSource): Promise<void> | undefined;
}

class CapExceeded extends Error {}

/**
 * The handler of one request; `abort` may come before undici has started it (it then aborts at the start).
 * `headersReceived` tells a reset after the headers from one before.
 */
export class AnswerHandler implements Dispatcher.DispatchHandler {
  headersReceived = false;
  /** Settles with the answer (or the transport's error). */
  readonly answer: Promise<ReadAnswer>;
  private resolve!: (answer: ReadAnswer) => void;
  private reject!: (error: unknown) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private settled = false;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private cap = 0;
  private sink: BodySink | undefined;
  /** Admission of this body (2xx only): a hook's wait in progress, bytes read during it, the end seen during it. */
  private admission: BodyAdmission | undefined;
  private waiting = false;
  private unreported = 0;
  private ended = false;

  constructor(
    private readonly limits: AnswerLimits,
    private readonly hooks: BodyAdmission | undefined,
    private readonly signal: SignalSource,
  ) {
    this.answer = new Promise<ReadAnswer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  abort(reason: unknown): void {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (this.controller === undefined) this.abortReason ??= error;
    else this.controller.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== undefined) controller.abort(this.abortReason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational: the real answer follows
    this.headersReceived = true;
    this.status = statusCode;
    this.headers = headers;
    const ok = statusCode >= 200 && statusCode < 300;
    this.cap = ok ? this.limits.okCap : this.limits.errorCap;
    const declared = declaredLength(headers['content-length']);
    if (declared !== undefined && declared > this.cap) {
      this.overCap(controller);
      return;
    }
    this.sink = new BodySink(declared);
    if (ok && this.hooks !== undefined) {
      this.admission = this.hooks;
      this.await(controller, this.hooks.onHeaders(declared, this.signal));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.sink;
    if (this.settled || sink === undefined) return;
    if (sink.size + chunk.length > this.cap) {
      this.overCap(controller);
      return;
    }
    sink.push(chunk);
    const admission = this.admission;
    if (admission === undefined) return;
    // A chunk already parsed when the pause began is held (it is in memory anyway) and reported after the wait.
    if (this.waiting) this.unreported += chunk.length;
    else this.await(controller, admission.onChunk(chunk.length, this.signal));
  }

  onResponseEnd(): void {
    if (this.settled) return;
    if (this.waiting) this.ended = true;
    else this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.sink = undefined;
    this.reject(error);
  }

  /** A hook's wait: the parser pauses until it resolves; a refusal (or abort) fails the request and closes its socket. */
  private await(controller: Dispatcher.DispatchController, wait: Promise<void> | undefined): void {
    if (wait === undefined) return;
    this.waiting = true;
    controller.pause();
    wait.then(
      () => this.resumeAfterWait(controller),
      (error: unknown) => {
        this.waiting = false;
        if (this.settled) return;
        this.onResponseError(controller, error as Error);
        controller.abort(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private resumeAfterWait(controller: Dispatcher.DispatchController): void {
    this.waiting = false;
    if (this.settled) return;
    const unreported = this.unreported;
    this.unreported = 0;
    if (unreported > 0 && this.admission !== undefined) {
      this.await(controller, this.admission.onChunk(unreported, this.signal));
      if (this.waiting) return;
    }
    if (this.ended) this.finish();
    else controller.resume();
  }

  private finish(): void {
    this.settled = true;
    const body = (this.sink ?? new BodySink(undefined)).finish();
    this.sink = undefined;
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  /** Too big: the request is aborted (its socket closed) and the answer has no body. */
  private overCap(controller: Dispatcher.DispatchController): void {
    this.settled = true;
    this.sink = undefined;
    this.resolve({ status: this.status, headers: this.headers, body: undefined });
    controller.abort(new CapExceeded('body over its cap'));
  }
}

/**
 * Sends `options` and collects the answer in the returned handler; call its `abort` to abort the request (the
 * deadline and the run's signal do). `admission` paces the reading of a 2xx body; `signal` is what its hooks wait with.
 */
export function readAnswer(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  limits: AnswerLimits,
  admission?: BodyAdmission,
  signal: SignalSource = neverAborted,
): AnswerHandler {
  const handler = new AnswerHandler(limits, admission, signal);
  try {
    dispatcher.dispatch(options, handler);
  } catch (error) {
    handler.onResponseError(undefined as unknown as Dispatcher.DispatchController, error as Error);
  }
  return handler;
}

function neverAborted(): AbortSignal {
  return new AbortController().signal;
}

export function declaredLength(contentLength: string | string[] | undefined): number | undefined {
  const value = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
