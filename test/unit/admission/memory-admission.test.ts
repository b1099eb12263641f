import { describe, expect, it } from 'vitest';
import { MemoryAdmission } from '../../../src/admission/memory-admission.js';
import { HOLD_FACTOR } from '../../../src/admission/size-estimator.js';
import type { Job } from '../../../src/input/record.js';

const MB = 1024 * 1024;
const never = new AbortController().signal;

function job(endpoint: Job['endpoint'], body: Record<string, unknown>): Job {
  return { id: 'j', line: 1, endpoint, body, hash: 'h', trimmed: false, estimatedTokens: 1, bytes: 1 };
}
const chat = job('/v1/chat/completions', { model: 'm', messages: [] });
const pack = (texts: number, extra: Record<string, unknown> = {}) =>
  job('/v1/embeddings', { model: 'e', input: Array.from({ length: texts }, (_, i) => `t${i}`), encoding_format: 'base64', ...extra });

function admission(maxInflightBytes = 64 * MB, concurrency = 16) {
  return new MemoryAdmission({ maxInflightBytes, maxMemoryBytes: 4096 * MB, marginBytes: 0, readRss: () => 0, maxResponseBytes: 8 * MB, concurrency });
}

describe('MemoryAdmission', () => {
  it('before any answer a chat request reserves a quarter of the budget, whatever --concurrency', () => {
    // guards: 64 chunked 6 MB answers admitted at 1/64 of the budget each stalled growing and were preempted over and over
    expect(admission(48 * MB, 16).estimate(chat)).toBe(12 * MB);
    expect(admission(48 * MB, 64).estimate(chat)).toBe(12 * MB);
    expect(admission(480 * MB, 1).estimate(chat)).toBe(8 * MB * HOLD_FACTOR); // capped at --max-response-bytes
  });

  it('learns chat answer sizes, and clamps an estimate to the whole budget (an estimate is not a verdict)', () => {
    const subject = admission(16 * MB);
    for (let i = 0; i < 5; i++) subject.observe(chat, 6 * MB);
    expect(subject.estimate(chat)).toBe(16 * MB);
    const small = admission();
    for (let i = 0; i < 5; i++) small.observe(chat, 2000);
    expect(small.estimate(chat)).toBeLessThan(2400 * HOLD_FACTOR);
  });

  it('admits, hands a hook that resizes at the headers, and counts reserved and peak bytes', async () => {
    const subject = admission();
    const { reservation, hook } = await subject.admit(chat, never);
    await hook.onHeaders(MB, never);
    expect(subject.reservedBytes).toBe(MB * HOLD_FACTOR);
    reservation.release();
    expect(subject.reservedBytes).toBe(0);
    expect(subject.peakBytes).toBeGreaterThanOrEqual(MB * HOLD_FACTOR);
  });

  it('embeddings: estimates from the requested dimension, then packs come down once the dimension is known', () => {
    const subject = admission(40 * MB);
    expect(subject.estimate(pack(100, { dimensions: 3072 }))).toBe(Math.ceil(100 * (3072 * (16 / 3) + 64) * HOLD_FACTOR));
    // guards: a full 512-text first pack of 3,072 floats passed --max-response-bytes and failed all 512 texts
    expect(subject.packSize('e', 'base64', 512)).toBe(16);
    expect(subject.packSize('e', 'base64', 4)).toBe(4);
    subject.observe(pack(512), 512 * 16_434, 3072);
    const size = subject.packSize('e', 'base64', 512);
    expect(size).toBeLessThan(512);
    expect(size * 16_434 * HOLD_FACTOR).toBeLessThanOrEqual(40 * MB * 0.5 * 0.8 * 1.2);
  });

  it('packs also fit --max-response-bytes (8 MB here) when the budget is larger', () => {
    const subject = admission(4000 * MB);
    subject.noteDimension('e', 3072);
    const perText = 3072 * 24 + 64;
    expect(subject.packSize('e', 'float', 512)).toBe(Math.floor((8 * MB * 0.8) / perText));
  });

  it('the packer can tell the dimension (from the checkpoint) before any answer', () => {
    const subject = admission(40 * MB);
    subject.noteDimension('e', 3072);
    subject.noteDimension('e', 0);
    expect(subject.packSize('e', 'float', 512)).toBe(75);
    expect(subject.estimate(pack(10))).toBe(Math.ceil(10 * (3072 * 16 / 3 + 64) * HOLD_FACTOR));
  });

  it('a restored snapshot gives a fresh worker the learned sizes', () => {
    const killed = admission();
    for (let i = 0; i < 5; i++) killed.observe(chat, 6 * MB);
    const fresh = admission();
    fresh.restore(JSON.parse(JSON.stringify(killed.snapshot())));
    expect(fresh.estimate(chat)).toBe(killed.estimate(chat));
  });
});
