// The run's memory admission in one object for the dispatcher and the packer: the in-flight budget, the learned
// answer sizes, and the pack size they imply. Wiring: reserve after the concurrency gate and rate pacing, pass the
// hook to Provider.send, observe the answer, release in `finally`.
import type { Job } from '../input/record.js';

/** What admission reads of a request: where it goes and what it asks for. */
type Request = Pick<Job, 'endpoint' | 'body'>;
import { InflightBudget, type InflightBudgetOptions, type Reservation } from './inflight-budget.js';
import { PACK_MARGIN, packSizeFor } from './pack-size.js';
import { responseAdmission, type ResponseAdmissionHook } from './response-admission.js';
import { HOLD_FACTOR, SizeEstimator, type SizeEstimatorSnapshot, type WireEncoding } from './size-estimator.js';

export interface MemoryAdmissionOptions extends InflightBudgetOptions {
  /** --max-response-bytes: no answer is assumed bigger than this. */
  readonly maxResponseBytes: number;
  /** --concurrency: kept for callers; the first answers are probed a few at a time whatever the ceiling (PROBES). */
  readonly concurrency: number;
}

export interface Admitted {
  readonly reservation: Reservation;
  /** Pass to Provider.send as its last argument. */
  readonly hook: ResponseAdmissionHook;
}

/** A pack's answer may take this share of the whole budget, so two packs can be read at once. */
const PACK_BUDGET_SHARE = 0.5;
const MIN_DEFAULT_BODY = 64 * 1024;
/**
 * Before an (endpoint, model) has answered, each request reserves 1/PROBES of the budget, so about this many
 * answers of unknown size are in flight at once. A per-request share of --concurrency was too small for big chunked
 * answers: 64 admitted at 2 MB each then all had to grow to 18 MB, stalled, and were preempted one by one (97
 * retries for 80 records of 6 MB). Small answers lose little: their content-length shrinks the reservation at the
 * headers, and after the first few answers the learned size replaces this.
 */
const PROBES = 4;
/**
 * Texts per embeddings request until the model's dimension is known: a full --batch-size pack of big vectors could
 * pass --max-response-bytes or the whole budget (512 x 3,072 floats is 15 MB) and fail every text of it, and a
 * failed answer teaches no dimension. A small first pack shows it; packs are sized from it after.
 */
const PROBE_PACK = 16;

export class MemoryAdmission {
  readonly budget: InflightBudget;
  readonly sizes: SizeEstimator;
  /** Embeddings dimension per model, as answers showed it. */
  private readonly dimensions = new Map<string, number>();
  private readonly maxResponseBytes: number;
  private readonly hookOptions = { ceilingBytes: (): number => this.budget.ceilingBytes() };

  constructor(options: MemoryAdmissionOptions) {
    this.maxResponseBytes = options.maxResponseBytes;
    this.budget = new InflightBudget(options);
    const share = Math.floor(this.budget.ceilingBytes() / PROBES / HOLD_FACTOR);
    this.sizes = new SizeEstimator({ defaultBodyBytes: Math.min(options.maxResponseBytes, Math.max(MIN_DEFAULT_BODY, share)) });
  }

  /** Bytes to reserve for `job` before it is sent (clamped to the whole budget: an estimate is not a verdict). */
  estimate(job: Request): number {
    const model = modelOf(job);
    const bytes = job.endpoint === '/v1/embeddings'
      ? this.sizes.embeddingHeldBytes(model, textsOf(job), this.dimensionOf(job), encodingOf(job))
      : this.sizes.heldBytes(job.endpoint, model);
    return Math.min(bytes, this.budget.ceilingBytes());
  }

  /** Waits for room for `job` (the last wait before sending). Rejects with the signal's reason on abort. */
  async admit(job: Request, signal: AbortSignal): Promise<Admitted> {
    return this.admitted(await this.budget.reserve(this.estimate(job), signal));
  }

  /** admit() without a wait: undefined when `job` must queue for room (or can never fit); then call admit(). */
  tryAdmit(job: Request): Admitted | undefined {
    const reservation = this.budget.tryReserve(this.estimate(job));
    return reservation === undefined ? undefined : this.admitted(reservation);
  }

  private admitted(reservation: Reservation): Admitted {
    return { reservation, hook: responseAdmission(reservation, this.hookOptions) };
  }

  /** Learns from a 2xx answer (its wire size); `dimension` for embeddings when the caller knows it. */
  observe(job: Request, bodyBytes: number | undefined, dimension?: number): void {
    if (bodyBytes === undefined) return;
    const model = modelOf(job);
    const embeddings = job.endpoint === '/v1/embeddings';
    this.sizes.observe(job.endpoint, model, bodyBytes, embeddings ? textsOf(job) : undefined);
    if (embeddings && dimension !== undefined) this.noteDimension(model, dimension);
  }

  /** The packer saw `model`'s vectors have `dimension` values (an answer accepted, or the checkpoint's vectors). */
  noteDimension(model: string, dimension: number): void {
    if (Number.isInteger(dimension) && dimension > 0) this.dimensions.set(model, dimension);
  }

  /**
   * Embeddings texts per request for `model` so one answer fits half the budget and --max-response-bytes, with a
   * margin; a small probe pack (at most `maxPack`) until the dimension is known.
   */
  packSize(model: string, encoding: WireEncoding, maxPack: number, dimension = this.dimensions.get(model)): number {
    if (dimension === undefined) return Math.max(1, Math.min(PROBE_PACK, Math.floor(maxPack)));
    const perText = this.sizes.embeddingBytesPerText(model, dimension, encoding);
    const budgetFit = packSizeFor(dimension, encoding, this.budget.ceilingBytes() * PACK_BUDGET_SHARE, maxPack, perText);
    const capFit = Math.max(1, Math.floor((this.maxResponseBytes * PACK_MARGIN) / perText));
    return Math.min(budgetFit, capFit);
  }

  /** Progress bar: bytes reserved now. */
  get reservedBytes(): number {
    return this.budget.reservedBytes;
  }

  /** Summary `memory.inflight_peak_bytes`. */
  get peakBytes(): number {
    return this.budget.peakBytes;
  }

  snapshot(): SizeEstimatorSnapshot {
    return this.sizes.snapshot();
  }

  restore(snapshot: unknown): void {
    this.sizes.restore(snapshot);
  }

  private dimensionOf(job: Request): number | undefined {
    const asked = job.body['dimensions'];
    return typeof asked === 'number' && asked > 0 ? asked : this.dimensions.get(modelOf(job));
  }
}

function modelOf(job: Request): string {
  return String(job.body['model'] ?? '');
}

function textsOf(job: Request): number {
  const input = job.body['input'];
  return Array.isArray(input) ? Math.max(1, input.length) : 1;
}

function encodingOf(job: Request): WireEncoding {
  return job.body['encoding_format'] === 'base64' ? 'base64' : 'float';
}
