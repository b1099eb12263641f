// Vectors as the checkpoint stores them and OpenAI's base64 sends them: float32 little-endian bytes.

/** float32 little-endian BLOB <-> numbers, whatever the machine's byte order. */
export function encodeVector(values: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i] ?? 0, i * 4);
  return buffer;
}

export function decodeVector(blob: Buffer): number[] {
  const values = new Array<number>(blob.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = blob.readFloatLE(i * 4);
  return values;
}

/** --normalize: the vector scaled to length 1 (a zero vector stays as it is). */
export function unitLength(values: readonly number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? [...values] : values.map((value) => value / norm);
}
