// Memory trend: the slope of the rolling floor (the lowest reading of each time bucket) over minutes, and a
// clear climb over the last few samples (climb.ts) for a process racing towards --max. Peaks come and go with
// garbage collection and batches; a floor that keeps rising is memory that is never given back.
import { ClimbDetector, type ClimbOptions, DEFAULT_CLIMB_OPTIONS } from './climb.js';

export interface TrendOptions {
  /** Width of a bucket whose lowest reading is its floor. */
  readonly bucketMs: number;
  /** Floors the slope is fitted over (the window is buckets x bucketMs). */
  readonly buckets: number;
  /** Complete floors needed before the trend says anything. */
  readonly minBuckets: number;
  /** A rise smaller than this over the window is noise. */
  readonly minRiseBytes: number;
}

export interface FloorReading {
  /** Complete floors so far (up to `buckets`). */
  readonly floors: number;
  /** Slope of the floor in MB (2^20 bytes) per minute; undefined until enough floors. */
  readonly mbPerMinute: number | undefined;
  /** The floor rose in most buckets and by more than noise: memory is not being given back. */
  readonly leakSuspected: boolean;
  /** ms until the fitted floor reaches `maxBytes`, when it is rising; 0 when already there. */
  readonly forecastMs: number | undefined;
}

export interface TrendReading extends FloorReading {
  /** Samples seen so far (the climb is judged from a few; the floor needs minutes). */
  readonly samples: number;
  /** The last few samples climb clearly: mbPerMinute and forecastMs are of that climb. */
  readonly climbing: boolean;
}

export const NO_TREND: TrendReading = { floors: 0, samples: 0, mbPerMinute: undefined, leakSuspected: false, forecastMs: undefined, climbing: false };

const MIB = 1024 * 1024;
const MINUTE = 60_000;
/** Share of bucket-to-bucket steps that must rise for a rise to count as sustained (a one-off step does not). */
const SUSTAINED_SHARE = 0.6;

/** The monitor's choice: a floor over ten samples, fitted over thirty floors (five minutes at 1 s). */
export function trendOptionsFor(intervalMs: number): TrendOptions {
  return { bucketMs: intervalMs * 10, buckets: 30, minBuckets: 6, minRiseBytes: 4 * MIB };
}

interface Floor {
  readonly t: number;
  readonly bytes: number;
}

export class FloorTrend {
  private readonly floors: Floor[] = [];
  private bucket: number | undefined;
  private bucketMin = Number.POSITIVE_INFINITY;
  private bucketStart = 0;

  constructor(private readonly options: TrendOptions) {}

  add(t: number, bytes: number): void {
    const bucket = Math.floor(t / this.options.bucketMs);
    if (this.bucket !== undefined && bucket !== this.bucket) {
      this.floors.push({ t: this.bucketStart, bytes: this.bucketMin });
      if (this.floors.length > this.options.buckets) this.floors.shift();
      this.bucketMin = Number.POSITIVE_INFINITY;
    }
    if (bucket !== this.bucket) {
      this.bucket = bucket;
      this.bucketStart = t;
    }
    this.bucketMin = Math.min(this.bucketMin, bytes);
  }

  reading(now: number, maxBytes: number): FloorReading {
    const floors = this.floors;
    if (floors.length < this.options.minBuckets) {
      return { floors: floors.length, mbPerMinute: undefined, leakSuspected: false, forecastMs: undefined };
    }
    const first = floors[0] as Floor;
    const fit = leastSquares(floors.map((floor) => [(floor.t - first.t) / MINUTE, floor.bytes] as const));
    const last = floors[floors.length - 1] as Floor;
    const rise = fit.slope * ((last.t - first.t) / MINUTE);
    const rising = fit.slope > 0 && rise >= this.options.minRiseBytes;
    let steps = 0;
    let rises = 0;
    for (let index = 1; index < floors.length; index++) {
      const before = (floors[index - 1] as Floor).bytes;
      steps++;
      if ((floors[index] as Floor).bytes - before > Math.max(64 * 1024, before * 0.001)) rises++;
    }
    const fittedNow = fit.intercept + fit.slope * ((now - first.t) / MINUTE);
    const forecastMs = rising ? Math.max(0, ((maxBytes - fittedNow) / fit.slope) * MINUTE) : undefined;
    return {
      floors: floors.length,
      mbPerMinute: fit.slope / MIB,
      leakSuspected: rising && rises / steps >= SUSTAINED_SHARE,
      forecastMs,
    };
  }
}

/** The monitor's trend: the floor's verdict (leak or not), with the recent climb's slope and forecast while it climbs. */
export class MemoryTrend {
  private readonly floor: FloorTrend;
  private readonly climb: ClimbDetector;
  private count = 0;

  constructor(floorOptions: TrendOptions, climbOptions: ClimbOptions = DEFAULT_CLIMB_OPTIONS) {
    this.floor = new FloorTrend(floorOptions);
    this.climb = new ClimbDetector(climbOptions);
  }

  add(t: number, bytes: number): void {
    this.count++;
    this.floor.add(t, bytes);
    this.climb.add(t, bytes);
  }

  reading(now: number, maxBytes: number): TrendReading {
    const floor = this.floor.reading(now, maxBytes);
    const climb = this.climb.reading(now, maxBytes);
    if (!climb.climbing || climb.slope === undefined) return { ...floor, samples: this.count, climbing: false };
    // The nearer of the two forecasts: a fast climb now matters more than a gentle floor.
    const forecastMs = floor.forecastMs === undefined ? climb.forecastMs : Math.min(floor.forecastMs, climb.forecastMs ?? Number.POSITIVE_INFINITY);
    return { ...floor, samples: this.count, climbing: true, mbPerMinute: (climb.slope * MINUTE) / MIB, forecastMs };
  }
}

export function leastSquares(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } {
  const n = points.length;
  let sumX = 0;
  let sumY = 0;
  for (const [x, y] of points) {
    sumX += x;
    sumY += y;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  return { slope, intercept: meanY - slope * meanX };
}
