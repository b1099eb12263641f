import { describe, expect, it } from 'vitest';
import { NO_TREND, type TrendReading } from '../../../src/monitor/trend.js';
import { trendEvents } from '../../../src/monitor/trend-events.js';

const climbing: TrendReading = { ...NO_TREND, samples: 4, climbing: true, mbPerMinute: 1920, forecastMs: 8000 };
const leaking: TrendReading = { ...NO_TREND, samples: 60, floors: 6, leakSuspected: true, mbPerMinute: 30, forecastMs: 600_000 };

describe('trendEvents', () => {
  it.each([
    ['nothing changes', NO_TREND, NO_TREND, []],
    ['a climb starts', NO_TREND, climbing, ['climbing']],
    ['a climb goes on', climbing, climbing, []],
    ['a climb ends', climbing, { ...NO_TREND, samples: 9 }, ['climb_ended']],
    ['a leak is suspected', NO_TREND, leaking, ['leak_suspected']],
    ['a leak clears', leaking, { ...leaking, leakSuspected: false, mbPerMinute: 0.5 }, ['leak_cleared']],
    ['a climb over a suspected leak', leaking, { ...leaking, climbing: true }, ['climbing']],
  ] as const)('%s', (_name, before, after, kinds) => {
    expect(trendEvents(before, after).map((event) => event.kind)).toEqual(kinds);
  });

  it('says the slope and the forecast of a climb', () => {
    const [event] = trendEvents(NO_TREND, climbing);
    expect(event).toEqual({ kind: 'climbing', message: 'memory is climbing: 1920.0 MB/min; --max in ~8s', detail: { mb_per_min: 1920, forecast_ms: 8000 } });
  });
});
