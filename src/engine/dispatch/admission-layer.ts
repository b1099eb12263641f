// Memory admission around one attempt: reserve what its answer will hold before it is sent (the last wait, inside
// the concurrency slot, so no reservation is held while queuing), let the body reading check the real size, learn
// from the answer, and give the bytes back however the attempt ends.
import type { MemoryAdmission } from '../../admission/memory-admission.js';
import { notSentError } from './not-sent.js';
import type { AttemptLayer } from './request.js';

export function admissionLayer(admission: MemoryAdmission, stopping: AbortSignal): AttemptLayer {
  return (next) => async (request, signal) => {
    // Nearly every request fits at once: no promise and no turn of the event loop for those.
    const { reservation, hook } = admission.tryAdmit(request) ?? (await admission.admit(request, signal));
    try {
      // The wait for room may have outlasted a stop: a request sent now could be cut off at the end of the grace.
      if (stopping.aborted) throw notSentError(stopping);
      const response = await next(request, signal, hook);
      admission.observe(request, response.bodyBytes, firstDimension(response.vectors));
      return response;
    } finally {
      reservation.release();
    }
  };
}

function firstDimension(vectors: readonly (Buffer | object)[] | undefined): number | undefined {
  const first = vectors?.[0];
  return Buffer.isBuffer(first) ? first.byteLength / 4 : undefined;
}
