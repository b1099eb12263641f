// Texts per embeddings request once the dimension is known: one answer must fit its share of the in-flight
// budget with a margin, so packs come down for big vectors instead of answers the budget must refuse.
import { BYTES_PER_VALUE, HOLD_FACTOR, ITEM_OVERHEAD_BYTES, type WireEncoding } from './size-estimator.js';

/** One answer may take this share of `budgetBytes`: the rest absorbs the estimate's error. */
export const PACK_MARGIN = 0.8;

/**
 * The most texts one request may carry so its answer, held while read and parsed (HOLD_FACTOR), stays under
 * PACK_MARGIN x `budgetBytes`; from 1 (a single text always goes) to `maxPack` (--batch-size / the governor).
 * `bytesPerText` is the learned body bytes per text (SizeEstimator.embeddingBytesPerText) when there is one.
 */
export function packSizeFor(dimension: number, encoding: WireEncoding, budgetBytes: number, maxPack: number, bytesPerText?: number): number {
  const most = Math.max(1, Math.floor(maxPack));
  const perText = bytesPerText !== undefined && bytesPerText > 0 ? bytesPerText : dimension > 0 ? dimension * BYTES_PER_VALUE[encoding] + ITEM_OVERHEAD_BYTES : 0;
  if (!Number.isFinite(perText) || perText <= 0 || !Number.isFinite(budgetBytes)) return most;
  const fits = Math.floor((Math.max(0, budgetBytes) * PACK_MARGIN) / (perText * HOLD_FACTOR));
  return Math.min(most, Math.max(1, fits));
}
