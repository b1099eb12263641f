// Collections with a fixed cap, so a watch of a week holds as much memory as a watch of a minute.

/** The last `capacity` items. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;
  private dropped = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** The newest `count` items, oldest first. */
  last(count: number): T[] {
    const length = this.items.length;
    const out: T[] = [];
    for (let index = Math.max(0, length - count); index < length; index++) out.push(this.items[(this.start + index) % length] as T);
    return out;
  }

  get length(): number {
    return this.items.length;
  }

  /** Items pushed out by newer ones. */
  get droppedCount(): number {
    return this.dropped;
  }
}

/**
 * A whole series in at most `capacity` points: every point while it fits, then neighbours are merged
 * pairwise (and later points in groups of the same width), so the series keeps its shape at a coarser step.
 * `merge` decides what survives (the peak of memory, the last count of records...).
 */
export class BoundedSeries<T> {
  private readonly points: T[] = [];
  private pending: T | undefined;
  private pendingCount = 0;
  /** Input points per stored point. */
  private stride = 1;
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly merge: (earlier: T, later: T) => T,
  ) {
    if (capacity < 2) throw new RangeError('BoundedSeries needs a capacity of at least 2');
  }

  push(point: T): void {
    this.total++;
    this.pending = this.pending === undefined ? point : this.merge(this.pending, point);
    this.pendingCount++;
    if (this.pendingCount < this.stride) return;
    this.points.push(this.pending);
    this.pending = undefined;
    this.pendingCount = 0;
    if (this.points.length >= this.capacity) this.compact();
  }

  /** The stored points plus the group still being filled. */
  toArray(): T[] {
    return this.pending === undefined ? [...this.points] : [...this.points, this.pending];
  }

  /** Points pushed in all. */
  get count(): number {
    return this.total;
  }

  private compact(): void {
    let write = 0;
    for (let read = 0; read + 1 < this.points.length; read += 2) {
      this.points[write++] = this.merge(this.points[read] as T, this.points[read + 1] as T);
    }
    if (this.points.length % 2 === 1) this.points[write++] = this.points[this.points.length - 1] as T;
    this.points.length = write;
    this.stride *= 2;
  }
}
