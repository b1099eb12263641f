// Collects a response body into one string, so no socket buffer outlives the request.

export interface BodyRead {
  readonly text: string;
  readonly bytes: number;
}

/** A declared body at least this big is copied into one buffer as it arrives, so its chunks can go at once. */
const PREALLOCATE_FROM = 256 * 1024;

export /** Collects a body: chunks joined at the end, or, for a big declared length, copied into one buffer as they come. */
class BodySink {
  size = 0;
  private chunks: Buffer[] = [];
  private whole: Buffer | undefined;

  constructor(declared: number | undefined) {
    if (declared !== undefined && declared >= PREALLOCATE_FROM) this.whole = Buffer.allocUnsafeSlow(declared);
  }

  push(chunk: Buffer): void {
    if (this.whole !== undefined && this.size + chunk.length <= this.whole.length) chunk.copy(this.whole, this.size);
    else {
      // More than declared (undici rejects that itself) or no declared length: keep the chunks.
      if (this.whole !== undefined) this.chunks.push(this.whole.subarray(0, this.size));
      this.whole = undefined;
      this.chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  finish(): BodyRead {
    const size = this.size;
    if (this.whole !== undefined) return { text: this.whole.toString('utf8', 0, size), bytes: size };
    const chunks = this.chunks;
    this.chunks = [];
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    return { text, bytes: size };
  }
}
