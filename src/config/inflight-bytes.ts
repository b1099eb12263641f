// The default of --max-inflight-bytes, the memory budget for answers in flight (src/admission/).
import { UsageError } from '../errors.js';

const MB = 1024 ** 2;
/** What memsafe itself holds before any answer (node, SQLite, modules): measured at about 93 MB. */
export const BASELINE_RSS_BYTES = 100 * MB;

/**
 * --max-inflight-bytes: as given (at most --max-memory), else half of what --max-memory leaves above the baseline,
 * at least min(16 MB, a quarter of --max-memory): 1.5 GB -> 718 MB, 384 MB -> 142 MB, 153 MB -> 26.5 MB.
 */
export function inflightBytes(given: number | undefined, maxMemoryBytes: number): number {
  if (given !== undefined) {
    if (given > maxMemoryBytes) {
      throw new UsageError(`Expected \`--max-inflight-bytes\` to be at most --max-memory (${maxMemoryBytes} bytes), got \`${given}\` bytes`, { code: 'MS_BAD_OPTION' });
    }
    return given;
  }
  const floor = Math.min(16 * MB, Math.floor(maxMemoryBytes / 4));
  return Math.max(floor, Math.floor((maxMemoryBytes - BASELINE_RSS_BYTES) / 2));
}
