// V8 lets the old generation grow far past what is live before it collects (its limit follows the allocation
// rate, with gigabytes of headroom here), and RSS follows. A full collection once the heap has doubled over
// what was live after the last one keeps RSS near the live size, for about one short GC a second at most.

export interface HeapTrimOptions {
  /** Never collect below this heap size: small heaps are cheap, and collecting them is waste. */
  readonly floorBytes?: number;
  /** Collect when the heap exceeds this multiple of what was live after the previous collection. */
  readonly growth?: number;
}

export class HeapTrim {
  private liveAfterLast = 0;
  private readonly floorBytes: number;
  private readonly growth: number;

  constructor(options: HeapTrimOptions = {}) {
    this.floorBytes = options.floorBytes ?? 32 * 1024 * 1024;
    this.growth = options.growth ?? 2;
  }

  /** Whether to collect now, given the heap in use. */
  due(heapUsedBytes: number): boolean {
    return heapUsedBytes > Math.max(this.floorBytes, this.liveAfterLast * this.growth);
  }

  /** What was in use right after a collection: the live size the next decision grows from. */
  collected(heapUsedAfterBytes: number): void {
    this.liveAfterLast = heapUsedAfterBytes;
  }
}
