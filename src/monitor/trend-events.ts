// The events a change of trend is worth: a climb that starts or ends, a leak that is suspected or cleared.
import { formatDuration } from '../config/units.js';
import type { EventDraft } from './sample.js';
import type { TrendReading } from './trend.js';

/** Events for the step from `before` to `after`; none while nothing changes. */
export function trendEvents(before: TrendReading, after: TrendReading): EventDraft[] {
  const events: EventDraft[] = [];
  const { mbPerMinute } = after;
  const rounded = mbPerMinute === undefined ? null : Math.round(mbPerMinute * 100) / 100;
  const slope = mbPerMinute === undefined ? '' : `${mbPerMinute.toFixed(1)} MB/min`;
  const forecast = after.forecastMs === undefined ? '' : `; --max in ~${formatDuration(after.forecastMs)}`;
  if (after.climbing && !before.climbing) {
    events.push({ kind: 'climbing', message: `memory is climbing: ${slope}${forecast}`, detail: { mb_per_min: rounded, forecast_ms: roundedMs(after.forecastMs) } });
  } else if (!after.climbing && before.climbing) {
    events.push({ kind: 'climb_ended', message: 'memory stopped climbing' });
  }
  if (after.leakSuspected !== before.leakSuspected && mbPerMinute !== undefined) {
    events.push(
      after.leakSuspected
        ? { kind: 'leak_suspected', message: `suspected leak: the memory floor keeps rising, ${slope}${forecast}`, detail: { mb_per_min: rounded } }
        : { kind: 'leak_cleared', message: `the memory floor stopped rising (${slope})`, detail: { mb_per_min: rounded } },
    );
  }
  return events;
}

function roundedMs(milliseconds: number | undefined): number | null {
  return milliseconds === undefined ? null : Math.round(milliseconds);
}
