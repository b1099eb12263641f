import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { GovernorState } from '../../../../src/engine/governor.js';
import { RunStats } from '../../../../src/engine/run-stats.js';
import { Breaker } from '../../../../src/engine/stops/breaker.js';
import { StopControl } from '../../../../src/engine/stops/stop-control.js';

const MB = 1024 * 1024;

/** `states` are the governor's readings while requests drain, one per check; `active` requests finish one per wait. */
function breaker(rssAfter: number, drain: { states: GovernorState[]; active: number } = { states: [], active: 0 }) {
  const log: string[] = [];
  const stops = new StopControl();
  const stats = new RunStats();
  let held = false;
  const instance = new Breaker({
    options: { maxMemoryBytes: 150 * MB, warnMemoryBytes: 100 * MB, timeoutMs: 1000, breakerWaitMs: 4, heapSnapshotDir: undefined },
    memory: {
      check: () => drain.states.shift() ?? 'NORMAL',
      lastRss: 160 * MB,
      readRss: () => rssAfter,
      collectGarbage: () => log.push('gc'),
      resetBreaker: () => log.push('reset'),
    },
    gate: { hold: () => (held = true), resume: () => (held = false), inFlight: 0 },
    tracker: {
      get active() {
        return drain.active;
      },
      nextFinished: async () => {
        drain.active = Math.max(0, drain.active - 1);
      },
    },
    stops,
    stats,
    logger: pino({ level: 'silent' }),
    commit: () => log.push(`commit held=${held}`),
    event: (kind) => log.push(kind),
    writeHeapSnapshot: undefined,
  });
  return { instance, log, stops, stats, isHeld: () => held };
}

describe('Breaker', () => {
  it('commits with the queue held, then resumes when memory fell below --warn-memory', async () => {
    const { instance, log, stops, stats, isHeld } = breaker(90 * MB);
    await instance.trip();
    expect(log).toEqual(['breaker_trip', 'commit held=true', 'gc', 'reset', 'breaker_reset']);
    expect(stops.stopping).toBe(false);
    expect(isHeld()).toBe(false);
    expect(stats).toMatchObject({ breakerTrips: 1, breakerResets: 1 });
  });

  it('halts the run (exit 75) with the reason when memory stays above --warn-memory', async () => {
    const { instance, log, stops } = breaker(140 * MB);
    await instance.trip();
    expect(log.at(-1)).toBe('breaker_halt');
    expect(stops.reason).toBe('breaker');
    expect(stops.haltReason).toMatch(/memory stayed above --warn-memory \(146800640 bytes RSS\) after the breaker tripped at 167772160 bytes/);
  });

  it('a signal during the wait hands over to the stop path without a halt', async () => {
    const { instance, log, stops } = breaker(140 * MB);
    stops.stop('SIGTERM');
    await instance.trip();
    expect(log).not.toContain('breaker_halt');
    expect(stops.reason).toBe('SIGTERM');
  });

  // guards: the breaker acting only at intake batch boundaries, so the last requests could cross --max-memory unchecked
  it('after the input ended, trips when the requests still draining reach --max-memory', async () => {
    const drain = { states: ['WARNING', 'BREAKER'] as GovernorState[], active: 5 };
    const { instance, log, stops } = breaker(140 * MB, drain);
    await instance.guardDrain();
    expect(log).toContain('breaker_trip');
    expect(stops.reason).toBe('breaker');
  });

  it('after the input ended, lets the requests finish when memory stays under --max-memory', async () => {
    const drain = { states: ['NORMAL', 'WARNING', 'NORMAL'] as GovernorState[], active: 3 };
    const { instance, log, stops } = breaker(140 * MB, drain);
    await instance.guardDrain();
    expect(log).toEqual([]);
    expect(drain.active).toBe(0);
    expect(stops.stopping).toBe(false);
  });
});
