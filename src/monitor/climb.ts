// A clear climb in the last few samples: the short-term half of the trend. The floor trend needs a minute of
// history; a process racing towards --max needs its forecast within a few samples.

export interface ClimbOptions {
  /** Samples a climb needs before it is reported (3 steps at the default of 4). */
  readonly minSamples: number;
  /** The longest run of recent samples the slope is fitted over. */
  readonly maxSamples: number;
  /** Samples whose largest fall (peak to trough) sets how big the ordinary swings are. */
  readonly historySamples: number;
  /** A fitted rise smaller than this over the run is noise. */
  readonly minRiseBytes: number;
}

export interface ClimbReading {
  readonly climbing: boolean;
  /** Bytes per ms of the fitted run; undefined when not climbing. */
  readonly slope: number | undefined;
  /** ms until the fitted run reaches `maxBytes`; 0 when already there; undefined when not climbing. */
  readonly forecastMs: number | undefined;
}

const MIB = 1024 * 1024;
/** Share of the run's steps that must rise: a climb, not one jump among flat readings. */
const RISING_SHARE = 0.75;
/** The run must rise by more than this many times the largest recent fall: a GC saw-tooth's ramp is not a climb. */
const SWING_FACTOR = 2;

export const DEFAULT_CLIMB_OPTIONS: ClimbOptions = { minSamples: 4, maxSamples: 12, historySamples: 60, minRiseBytes: 4 * MIB };

interface Point {
  readonly t: number;
  readonly bytes: number;
}

export class ClimbDetector {
  private readonly points: Point[] = [];

  constructor(private readonly options: ClimbOptions = DEFAULT_CLIMB_OPTIONS) {}

  add(t: number, bytes: number): void {
    this.points.push({ t, bytes });
    if (this.points.length > this.options.historySamples) this.points.shift();
  }

  get samples(): number {
    return this.points.length;
  }

  reading(now: number, maxBytes: number): ClimbReading {
    const { minSamples, maxSamples, minRiseBytes } = this.options;
    const swing = largestFall(this.points);
    // The longest recent run that is a clear climb: a climb that just began after a flat stretch counts at once.
    for (let length = Math.min(maxSamples, this.points.length); length >= minSamples; length--) {
      const run = this.points.slice(-length);
      if (risingShare(run) < RISING_SHARE) continue;
      const fit = theilSen(run);
      const first = run[0] as Point;
      const last = run[run.length - 1] as Point;
      const rise = fit.slope * (last.t - first.t);
      if (fit.slope <= 0 || rise < minRiseBytes || rise <= SWING_FACTOR * swing) continue;
      const fittedNow = fit.intercept + fit.slope * now;
      return { climbing: true, slope: fit.slope, forecastMs: Math.max(0, (maxBytes - fittedNow) / fit.slope) };
    }
    return { climbing: false, slope: undefined, forecastMs: undefined };
  }
}

/** Share of steps that rise by more than a few pages (or 0.1%): noise of a page or two is not a rise. */
function risingShare(run: readonly Point[]): number {
  let rises = 0;
  for (let index = 1; index < run.length; index++) {
    const before = (run[index - 1] as Point).bytes;
    if ((run[index] as Point).bytes - before > Math.max(64 * 1024, before * 0.001)) rises++;
  }
  return rises / (run.length - 1);
}

/** The largest fall from a running peak to a later reading: how far memory swings back (GC, freed batches). */
export function largestFall(points: readonly Point[]): number {
  let peak = Number.NEGATIVE_INFINITY;
  let fall = 0;
  for (const { bytes } of points) {
    peak = Math.max(peak, bytes);
    fall = Math.max(fall, peak - bytes);
  }
  return fall;
}

/** Theil–Sen line: the median of pairwise slopes, so one outlier reading cannot tilt it. */
export function theilSen(points: readonly Point[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i] as Point;
      const b = points[j] as Point;
      if (b.t !== a.t) slopes.push((b.bytes - a.bytes) / (b.t - a.t));
    }
  }
  const slope = median(slopes);
  const intercept = median(points.map((point) => point.bytes - slope * point.t));
  return { slope, intercept };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = values.sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
