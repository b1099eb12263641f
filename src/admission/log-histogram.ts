// A streaming quantile in fixed memory: counts in log-spaced buckets (4 per doubling, so an answer is placed
// within 19% of its size), halved now and then so the distribution follows what the server sends lately.

/** Lower edge of bucket 0; smaller values count in it. */
const FIRST_EDGE = 64;
const BUCKETS_PER_DOUBLING = 4;
/** 64 B x 2^32: past any body a process could hold. */
const BUCKETS = 32 * BUCKETS_PER_DOUBLING;
/** Counts are halved when their total reaches this: old answers weigh half as much after every 1024 new ones. */
const DECAY_AT = 2048;

export interface HistogramSnapshot {
  /** Sparse [bucket, count] pairs. */
  readonly buckets: readonly (readonly [number, number])[];
  readonly samples: number;
}

export class LogHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  /** Samples ever observed (not decayed): how much the quantile can be trusted. */
  samples = 0;

  observe(value: number): void {
    const index = bucketOf(value);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    this.samples += 1;
    if (this.total >= DECAY_AT) this.decay();
  }

  /** The upper edge of the bucket holding quantile `q` (over-estimates by at most one bucket), or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.total <= 0) return undefined;
    const target = q * this.total;
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= target && seen > 0) return upperEdge(index);
    }
    return upperEdge(BUCKETS - 1);
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    this.counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, Math.round(count * 1000) / 1000]);
    });
    return { buckets, samples: this.samples };
  }

  /** A histogram from a snapshot; entries that make no sense are skipped, never trusted. */
  static restore(snapshot: unknown): LogHistogram {
    const histogram = new LogHistogram();
    const value = snapshot as Partial<HistogramSnapshot> | null;
    if (typeof value !== 'object' || value === null || !Array.isArray(value.buckets)) return histogram;
    for (const entry of value.buckets as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [index, count] = entry as unknown[];
      if (!Number.isInteger(index) || typeof count !== 'number' || !Number.isFinite(count) || count <= 0) continue;
      if ((index as number) < 0 || (index as number) >= BUCKETS) continue;
      histogram.counts[index as number] = count;
      histogram.total += count;
    }
    histogram.samples = typeof value.samples === 'number' && Number.isFinite(value.samples) ? Math.max(0, Math.floor(value.samples)) : 0;
    return histogram;
  }

  private decay(): void {
    this.total = 0;
    for (let index = 0; index < BUCKETS; index++) {
      const halved = (this.counts[index] ?? 0) / 2;
      this.counts[index] = halved < 0.01 ? 0 : halved;
      this.total += this.counts[index] ?? 0;
    }
  }
}

function bucketOf(value: number): number {
  if (!(value > FIRST_EDGE)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(value / FIRST_EDGE) * BUCKETS_PER_DOUBLING));
}

function upperEdge(index: number): number {
  return Math.ceil(FIRST_EDGE * 2 ** ((index + 1) / BUCKETS_PER_DOUBLING));
}
