// One line of a mock batch's output or error file, in OpenAI's format: {id, custom_id, response, error}.
// Deterministic: the same line in the same batch always gets the same answer (seeded by `seed`).
import { mockAnswer, sha256Hex } from './mock-answers.js';

export interface LineFaults {
  /** Share of lines answered 500 (retryable), decided per batch so a resubmitted line can succeed. */
  readonly failShare?: number;
  /** Share of lines answered 400 (failed for good), decided per custom_id. */
  readonly badShare?: number;
  readonly seed?: number;
}

export interface BatchLineAnswer {
  /** true: an output-file line with a 2xx answer; false: an error-file line. */
  readonly ok: boolean;
  readonly text: string;
}

/** A number in [0, 1) from the hash of its parts. */
export function unitDraw(...parts: readonly (string | number)[]): number {
  return Number.parseInt(sha256Hex(parts.join('\u0000')).slice(0, 12), 16) / 2 ** 48;
}

/** `unfinished`: the batch's status when this line did not run (expired, cancelled). */
export function mockBatchLine(
  line: { custom_id: string; url: string; body: unknown },
  batchId: string,
  unfinished: string | undefined,
  faults: LineFaults,
): BatchLineAnswer {
  const id = `batch_req_${sha256Hex(`${batchId}:${line.custom_id}`).slice(0, 24)}`;
  const seed = faults.seed ?? 0;
  if (unfinished !== undefined) {
    const code = unfinished === 'expired' ? 'batch_expired' : 'batch_cancelled';
    const message = unfinished === 'expired' ? 'This request could not be executed before the completion window expired.' : 'This request was not executed because the batch was cancelled.';
    return { ok: false, text: JSON.stringify({ id, custom_id: line.custom_id, response: null, error: { code, message } }) };
  }
  const requestId = `req_${sha256Hex(`${id}:r`).slice(0, 24)}`;
  if ((faults.badShare ?? 0) > 0 && unitDraw(seed, 'bad', line.custom_id) < (faults.badShare ?? 0)) {
    return errorLine(id, line.custom_id, requestId, 400, 'invalid_request_error', 'mock: this request is refused (--bad-share)');
  }
  if ((faults.failShare ?? 0) > 0 && unitDraw(seed, 'fail', batchId, line.custom_id) < (faults.failShare ?? 0)) {
    return errorLine(id, line.custom_id, requestId, 500, 'server_error', 'mock: the server had an error processing this request');
  }
  const answer = mockAnswer('POST', line.url, JSON.stringify(line.body));
  const body: unknown = JSON.parse(answer.body);
  const record = { id, custom_id: line.custom_id, response: { status_code: answer.status, request_id: requestId, body }, error: null };
  return { ok: answer.status >= 200 && answer.status < 300, text: JSON.stringify(record) };
}

function errorLine(id: string, customId: string, requestId: string, status: number, type: string, message: string): BatchLineAnswer {
  const body = { error: { message, type, param: null, code: null } };
  return { ok: false, text: JSON.stringify({ id, custom_id: customId, response: { status_code: status, request_id: requestId, body }, error: null }) };
}
