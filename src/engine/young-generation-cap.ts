// V8 doubles its young generation (two semi-spaces, up to 2 × 16 MB here) while the program allocates fast,
// and those pages stay resident: a 10k-record run ended before the last doubling, a 100k one did not, and
// that alone was 15–20 MB of the difference in peak RSS. Node reads the size limit only at start-up
// (--max-semi-space-size, which a `#!/usr/bin/env node` launcher cannot pass), but V8 reads
// --semi-space-growth-factor each time it grows the space, so memsafe holds the growth at a cap instead.

export class YoungGenerationCap {
  private growing = true;

  /** @param setGrowth lets the young generation grow (true) or holds it at its size (false). */
  constructor(
    private readonly capBytes: number,
    private readonly setGrowth: (grow: boolean) => void,
  ) {}

  /** Holds growth from the cap on, and lets it grow again if V8 has shrunk the space below the cap. */
  observe(newSpaceBytes: number): void {
    const grow = newSpaceBytes < this.capBytes;
    if (grow === this.growing) return;
    this.growing = grow;
    this.setGrowth(grow);
  }
}

/** 16 MB, i.e. two 8 MB semi-spaces: the same records/s and CPU as V8's 32 MB, for 15–50 MB less peak RSS (docs/BENCHMARKS.md). */
export const YOUNG_GENERATION_CAP_BYTES = 16 * 1024 * 1024;
