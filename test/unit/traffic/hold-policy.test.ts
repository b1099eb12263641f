import { describe, expect, it } from 'vitest';
import { HeldTime, HoldPolicy } from '../../../src/traffic/hold-policy.js';

describe('HoldPolicy', () => {
  it.each([
    // [refused share of the window, answers in it, held?]
    [0.01, 200, false], // guards: one 429 among many successes never holds the server
    [0.5, 200, false],
    [0.51, 200, true],
    [0.9, 9, false], // too few answers to call it evidence
    [1, 10, true],
  ])('share %d over %d answers -> held %s', (refusedShare, answers, held) => {
    const policy = new HoldPolicy();
    expect(policy.onRefused(1000, { refusedShare, answers }, 100)).toBe(held);
    expect(policy.remainingMs(1000)).toBe(held ? 100 : 0);
  });

  it('holds until the latest end of overlapping holds, and counts the time held once', () => {
    const policy = new HoldPolicy();
    policy.holdUntil(0, 100);
    policy.holdUntil(50, 120);
    expect(policy.remainingMs(60)).toBe(60);
    expect(policy.held.totalMs(60)).toBe(60); // still running: counted up to now
    policy.holdUntil(500, 600);
    expect(policy.held.totalMs(1000)).toBe(220);
  });

  it('HeldTime ignores empty and backwards intervals', () => {
    const held = new HeldTime();
    held.add(10, 10);
    held.add(20, 5);
    expect(held.totalMs(100)).toBe(0);
  });
});
