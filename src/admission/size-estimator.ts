// How much memory an answer will take before it arrives: the learned size distribution per (endpoint, model),
// read at a high quantile, times what the process holds at once while it reads and parses one body.
import { type HistogramSnapshot, LogHistogram } from './log-histogram.js';

export type WireEncoding = 'base64' | 'float';

/**
 * Bytes the process holds per body byte while one answer is read and parsed. Measured (node 20, mock answers):
 * live heap + external after forced GCs at each step of reading one body (chunks -> one buffer -> string -> parse):
 *   chat 6.3 MB:                             before 4.0x (chunks + concatenated copy + string + parsed), now 3.0x
 *   embeddings base64 8.4 MB (512 x 3072):   before 4.0x, now 3.0x at the parse, 0.76x once decoded
 *   embeddings float 14.8 MB (512 x 3072):   before 4.0x, now 3.0x at the parse, 0.43x once decoded
 * and scripts/measure-answer-memory.mjs (16 answers held, 4 in flight; peak RSS / live bytes per answer held):
 *   chat 6 MB:        peak 1.66-1.74x -> 1.47-1.49x, live 1.44-1.57x -> 1.00-1.07x
 *   base64 8 MB:      peak 2.50-2.53x -> 2.04-2.12x, live 2.07-2.13x -> 1.02-1.20x (parsed body only, no text)
 *   float 14 MB:      peak 2.09-2.18x -> 1.31-1.64x, live 1.93-1.99x -> 0.93-1.12x
 * RSS runs above live bytes (garbage not yet collected), so a reservation counts 3x its body.
 */
export const HOLD_FACTOR = 3;

/**
 * Body bytes per vector value. base64: 4 bytes of float32 as 16/3 characters (exact). float: the mock writes
 * 9.4 bytes per value (6 decimals); servers that print float32 as float64 (vLLM, pretty-printed OpenAI JSON)
 * write 20-31, so the default before any answer is seen is 24 and learned answers correct it.
 */
export const BYTES_PER_VALUE: Readonly<Record<WireEncoding, number>> = { base64: 16 / 3, float: 24 };
/** `{"object":"embedding","index":N,"embedding":...}` around each vector: 50 bytes measured on the mock (base64). */
export const ITEM_OVERHEAD_BYTES = 64;

export interface SizeEstimatorOptions {
  /** Body bytes assumed before an (endpoint, model) has answered (conservative: about its share of the budget). */
  readonly defaultBodyBytes: number;
  /** Quantile read from the distribution (default 0.95): the 5% above it are resized when their headers arrive. */
  readonly quantile?: number;
  /** Answers seen before the quantile alone is trusted; until then the default is a floor (default 3). */
  readonly minSamples?: number;
}

export interface SizeEstimatorSnapshot {
  readonly version: 1;
  /** `${endpoint} ${model}` -> body bytes. */
  readonly bodies: Readonly<Record<string, HistogramSnapshot>>;
  /** `${model}` -> embeddings body bytes per text. */
  readonly perText: Readonly<Record<string, HistogramSnapshot>>;
}

/** Distinct (endpoint, model) pairs remembered; beyond it the oldest is forgotten (bounded memory). */
const MAX_KEYS = 64;

export class SizeEstimator {
  private readonly bodies = new Map<string, LogHistogram>();
  private readonly perText = new Map<string, LogHistogram>();
  private readonly quantile: number;
  private readonly minSamples: number;

  constructor(private readonly options: SizeEstimatorOptions) {
    this.quantile = options.quantile ?? 0.95;
    this.minSamples = options.minSamples ?? 3;
  }

  /** Feeds one answer's body size (wire bytes); `texts` for an embeddings answer also learns bytes per text. */
  observe(endpoint: string, model: string, bodyBytes: number, texts?: number): void {
    if (!Number.isFinite(bodyBytes) || bodyBytes < 0) return;
    histogramFor(this.bodies, `${endpoint} ${model}`).observe(bodyBytes);
    if (texts !== undefined && texts > 0) histogramFor(this.perText, model).observe(bodyBytes / texts);
  }

  /** Expected body bytes of the next answer. */
  bodyBytes(endpoint: string, model: string): number {
    return this.read(this.bodies.get(`${endpoint} ${model}`), this.options.defaultBodyBytes);
  }

  /** Bytes to reserve for the next answer of (endpoint, model). */
  heldBytes(endpoint: string, model: string): number {
    return Math.ceil(this.bodyBytes(endpoint, model) * HOLD_FACTOR);
  }

  /** Bytes to reserve for an embeddings answer of `texts` vectors: learned per text, else from the dimension. */
  embeddingHeldBytes(model: string, texts: number, dimension: number | undefined, encoding: WireEncoding): number {
    return Math.ceil(texts * this.embeddingBytesPerText(model, dimension, encoding) * HOLD_FACTOR);
  }

  /** Body bytes per text of an embeddings answer: learned when seen, else the encoding's default for `dimension`. */
  embeddingBytesPerText(model: string, dimension: number | undefined, encoding: WireEncoding): number {
    const fallback = dimension === undefined ? this.options.defaultBodyBytes : dimension * BYTES_PER_VALUE[encoding] + ITEM_OVERHEAD_BYTES;
    const learned = this.perText.get(model);
    return learned === undefined || learned.samples < this.minSamples ? fallback : this.read(learned, fallback);
  }

  snapshot(): SizeEstimatorSnapshot {
    const dump = (map: Map<string, LogHistogram>) => Object.fromEntries([...map].map(([key, histogram]) => [key, histogram.snapshot()]));
    return { version: 1, bodies: dump(this.bodies), perText: dump(this.perText) };
  }

  /** Takes over what a snapshot learned (a fresh worker after a restart); anything malformed is ignored. */
  restore(snapshot: unknown): void {
    const value = snapshot as Partial<SizeEstimatorSnapshot> | null;
    if (typeof value !== 'object' || value === null || value.version !== 1) return;
    const load = (map: Map<string, LogHistogram>, entries: unknown) => {
      if (typeof entries !== 'object' || entries === null) return;
      for (const [key, histogram] of Object.entries(entries as Record<string, unknown>).slice(0, MAX_KEYS)) map.set(key, LogHistogram.restore(histogram));
    };
    load(this.bodies, value.bodies);
    load(this.perText, value.perText);
  }

  private read(histogram: LogHistogram | undefined, fallback: number): number {
    const learned = histogram?.quantile(this.quantile);
    if (learned === undefined || histogram === undefined) return fallback;
    return histogram.samples < this.minSamples ? Math.max(learned, fallback) : learned;
  }
}

function histogramFor(map: Map<string, LogHistogram>, key: string): LogHistogram {
  let histogram = map.get(key);
  if (histogram === undefined) {
    if (map.size >= MAX_KEYS) map.delete(map.keys().next().value as string);
    histogram = new LogHistogram();
    map.set(key, histogram);
  }
  return histogram;
}
