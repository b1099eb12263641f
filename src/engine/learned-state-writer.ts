// Keeps what the run learned (concurrency reached, answer sizes, in-flight peak) in the checkpoint, at most once a
// second and at the end, so a fresh worker after an OOM kill or a breaker halt starts from it.
import type { MemoryAdmission } from '../admission/memory-admission.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { AdaptiveConcurrency } from './adaptive-concurrency.js';

const EVERY_MS = 1000;

export class LearnedStateWriter {
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Pick<CheckpointStore, 'writeLearned'>,
    private readonly concurrency: Pick<AdaptiveConcurrency, 'limit'>,
    private readonly admission: Pick<MemoryAdmission, 'snapshot' | 'peakBytes'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** After a commit: writes when a second has passed since the last write. */
  maybeWrite(): void {
    if (this.now() - this.lastAt >= EVERY_MS) this.write();
  }

  write(): void {
    this.lastAt = this.now();
    this.store.writeLearned({ concurrency: this.concurrency.limit, sizes: this.admission.snapshot(), inflightPeakBytes: this.admission.peakBytes });
  }
}
