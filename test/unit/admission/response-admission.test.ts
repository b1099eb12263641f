import { describe, expect, it } from 'vitest';
import { InflightBudget } from '../../../src/admission/inflight-budget.js';
import { responseAdmission } from '../../../src/admission/response-admission.js';

const MB = 1024 * 1024;
const never = new AbortController().signal;

function setup(maxInflightBytes = 100 * MB) {
  const budget = new InflightBudget({ maxInflightBytes, maxMemoryBytes: 10_000 * MB, marginBytes: 0, readRss: () => 0 });
  return { budget, ceilingBytes: () => budget.ceilingBytes() };
}

describe('responseAdmission', () => {
  it('replaces the estimate with content-length x the hold factor, down or up', async () => {
    const { budget, ceilingBytes } = setup();
    const reservation = await budget.reserve(30 * MB, never);
    const hook = responseAdmission(reservation, { holdFactor: 3, ceilingBytes });
    await hook.onHeaders(2 * MB, never);
    expect(reservation.bytes).toBe(6 * MB);
    await hook.onHeaders(20 * MB, never);
    expect(reservation.bytes).toBe(60 * MB);
  });

  it('keeps the estimate for a chunked body, and costs no promise per chunk while it covers what was read', async () => {
    const { budget, ceilingBytes } = setup();
    const reservation = await budget.reserve(3 * MB, never);
    const hook = responseAdmission(reservation, { holdFactor: 3, ceilingBytes });
    await hook.onHeaders(undefined, never);
    expect(reservation.bytes).toBe(3 * MB);
    for (let i = 0; i < 16; i++) expect(hook.onChunk(64 * 1024, never)).toBeUndefined(); // 1 MB x 3 = 3 MB
  });

  it('grows in steps of at least a quarter once the body outgrows its reservation', async () => {
    const { budget, ceilingBytes } = setup();
    const reservation = await budget.reserve(3 * MB, never);
    const hook = responseAdmission(reservation, { holdFactor: 3, ceilingBytes });
    let waits = 0;
    for (let i = 0; i < 160; i++) {
      const wait = hook.onChunk(64 * 1024, never); // 10 MB in all
      if (wait !== undefined) {
        waits++;
        await wait;
      }
    }
    expect(reservation.bytes).toBeGreaterThanOrEqual(30 * MB);
    expect(waits).toBeLessThan(12);
  });

  it('a step is clamped to the whole budget, so only a body that really does not fit is refused', async () => {
    const { budget, ceilingBytes } = setup(10 * MB);
    const reservation = await budget.reserve(9 * MB, never);
    const hook = responseAdmission(reservation, { holdFactor: 1, ceilingBytes });
    await hook.onChunk(9 * MB + 1, never);
    expect(reservation.bytes).toBe(10 * MB);
    await expect(hook.onChunk(MB, never)).rejects.toMatchObject({ reason: 'too_large' });
  });
});
