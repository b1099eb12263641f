// The HTTP client's admission hook for one request, backed by its reservation: the content-length replaces the
// estimate, and a chunked body read past its reservation waits for more room before the next chunk is read.
import type { Reservation, SignalSource } from './inflight-budget.js';
import { HOLD_FACTOR } from './size-estimator.js';

/** Structurally the provider's ResponseAdmission (src/provider/http-client.ts); admission/ imports no provider code. */
export interface ResponseAdmissionHook {
  /** undefined: nothing to wait for (a promise per answer costs at thousands of answers a second). */
  onHeaders(contentLength: number | undefined, signal: SignalSource): Promise<void> | undefined;
  onChunk(bytes: number, signal: SignalSource): Promise<void> | undefined;
}

/** A grow asks for at least this share more than the reservation, so a long chunked body waits O(log n) times, not per chunk. */
const GROW_STEP = 0.25;
const MIN_GROW_BYTES = 256 * 1024;

export interface ResponseAdmissionOptions {
  readonly holdFactor?: number;
  readonly ceilingBytes?: () => number;
}

/** A class rather than closures: one object per request on the hot path. */
class ReservationHook implements ResponseAdmissionHook {
  private read = 0;
  private readonly factor: number;

  constructor(
    private readonly reservation: Reservation,
    private readonly options: ResponseAdmissionOptions,
  ) {
    this.factor = options.holdFactor ?? HOLD_FACTOR;
  }

  onHeaders(contentLength: number | undefined, signal: SignalSource): Promise<void> | undefined {
    if (contentLength === undefined || !Number.isFinite(contentLength) || contentLength < 0) return undefined;
    return this.reservation.resize(contentLength * this.factor, signal);
  }

  onChunk(bytes: number, signal: SignalSource): Promise<void> | undefined {
    const reservation = this.reservation;
    this.read += bytes;
    const needed = Math.ceil(this.read * this.factor);
    if (needed <= reservation.bytes) return undefined;
    const deficit = needed - reservation.bytes;
    const step = Math.max(deficit, MIN_GROW_BYTES, Math.ceil(reservation.bytes * GROW_STEP));
    // Never ask past the whole budget for a step the body may not need: only the real deficit can be refused.
    const ceiling = this.options.ceilingBytes;
    const room = ceiling === undefined ? step : Math.max(deficit, Math.min(step, ceiling() - reservation.bytes));
    return reservation.grow(room, signal);
  }
}

export function responseAdmission(reservation: Reservation, options: ResponseAdmissionOptions = {}): ResponseAdmissionHook {
  return new ReservationHook(reservation, options);
}
