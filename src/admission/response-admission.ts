// The HTTP client's admission hook for one request, backed by its reservation: the content-length replaces the
// estimate, and a chunked body read past its reservation waits for more room before the next chunk is read.
import type { Reservation } from './inflight-budget.js';
import { HOLD_FACTOR } from './size-estimator.js';

/** Structurally the provider's ResponseAdmission (src/provider/http-client.ts); admission/ imports no provider code. */
export interface ResponseAdmissionHook {
  onHeaders(contentLength: number | undefined, signal: AbortSignal): Promise<void>;
  onChunk(bytes: number, signal: AbortSignal): Promise<void> | undefined;
}

/** A grow asks for at least this share more than the reservation, so a long chunked body waits O(log n) times, not per chunk. */
const GROW_STEP = 0.25;
const MIN_GROW_BYTES = 256 * 1024;

export function responseAdmission(
  reservation: Reservation,
  options: { readonly holdFactor?: number; readonly ceilingBytes?: () => number } = {},
): ResponseAdmissionHook {
  const factor = options.holdFactor ?? HOLD_FACTOR;
  let read = 0;
  return {
    onHeaders(contentLength, signal) {
      if (contentLength === undefined || !Number.isFinite(contentLength) || contentLength < 0) return Promise.resolve();
      return reservation.resize(contentLength * factor, signal);
    },
    onChunk(bytes, signal) {
      read += bytes;
      const needed = Math.ceil(read * factor);
      if (needed <= reservation.bytes) return undefined;
      const deficit = needed - reservation.bytes;
      const step = Math.max(deficit, MIN_GROW_BYTES, Math.ceil(reservation.bytes * GROW_STEP));
      // Never ask past the whole budget for a step the body may not need: only the real deficit can be refused.
      const room = options.ceilingBytes === undefined ? step : Math.max(deficit, Math.min(step, options.ceilingBytes() - reservation.bytes));
      return reservation.grow(room, signal);
    },
  };
}
