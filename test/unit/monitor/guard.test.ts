import { describe, expect, it } from 'vitest';
import { Guard, type GuardOptions, type GuardStep } from '../../../src/monitor/guard.js';

const WARN = 800;
const MAX = 1000;

function run(action: GuardOptions['action'], readings: readonly (readonly [t: number, rss: number])[], graceMs = 10_000): string[] {
  const guard = new Guard({ warnBytes: WARN, maxBytes: MAX, action, graceMs });
  return readings.flatMap(([t, rss]) => guard.observe(rss, t).map((step) => `${t}:${stepName(step)}`));
}

function stepName(step: GuardStep): string {
  return step.kind === 'signal' ? step.signal : step.kind;
}

describe('Guard', () => {
  it.each([
    ['warns once while above --warn', 'none', [[0, 500], [1, 850], [2, 900], [3, 880]], ['1:warn']],
    ['clears below 95% of --warn and warns again', 'none', [[0, 850], [1, 790], [2, 700], [3, 820]], ['0:warn', '2:warn_clear', '3:warn']],
    ['warns and reaches max in one jump', 'none', [[0, 100], [1, 1200]], ['1:warn', '1:max']],
    ['with --action none only reports max, once per crossing', 'none', [[0, 1100], [1, 1200], [2, 900], [3, 1100]], ['0:warn', '0:max', '3:max']],
    ['with --action kill sends SIGKILL at max', 'kill', [[0, 900], [1, 1000]], ['0:warn', '1:max', '1:SIGKILL']],
    ['with --action kill never signals twice', 'kill', [[0, 1100], [1, 900], [2, 1100]], ['0:warn', '0:max', '0:SIGKILL', '2:max']],
    ['with --action term sends SIGTERM, then SIGKILL after the grace when still above', 'term',
      [[0, 1100], [5_000, 1200], [10_000, 1150], [11_000, 1150]], ['0:warn', '0:max', '0:SIGTERM', '10000:SIGKILL']],
    ['with --action term spares a process back under max after the grace, and re-arms', 'term',
      [[0, 1100], [4_000, 900], [10_000, 850], [12_000, 1100]], ['0:warn', '0:max', '0:SIGTERM', '10000:grace_over', '12000:max', '12000:SIGTERM']],
  ] as const)('%s', (_name, action, readings, expected) => {
    expect(run(action, readings)).toEqual(expected);
  });

  it('asks for a reading at the end of the grace period, and is terminating until then', () => {
    const guard = new Guard({ warnBytes: WARN, maxBytes: MAX, action: 'term', graceMs: 3000 });
    expect(guard.deadline).toBeUndefined();
    expect(guard.isTerminating).toBe(false);
    guard.observe(1500, 100);
    expect(guard.deadline).toBe(3100);
    expect(guard.isTerminating).toBe(true);
    guard.observe(500, 3100);
    expect(guard.deadline).toBeUndefined();
    expect(guard.isTerminating).toBe(false);
  });

  it('stays terminating after SIGKILL', () => {
    const guard = new Guard({ warnBytes: WARN, maxBytes: MAX, action: 'kill', graceMs: 0 });
    guard.observe(1500, 0);
    expect(guard.isTerminating).toBe(true);
  });
});
