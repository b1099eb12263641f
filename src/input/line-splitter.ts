// Splits a byte stream into lines with a byte cap, and REPORTS over-long lines instead of dropping them
// (split2's maxLength silently skips them and counts characters). Holds at most about `maxLineBytes`.

/** One line of input (without its `\n` / `\r\n`), or the length of a line that went over the cap. */
export type RawLine = { line: number; bytes: Buffer } | { line: number; tooLong: true; length: number };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === CARRIAGE_RETURN || byte === 0x0b || byte === 0x0c;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (!isBlankByte(byte)) return false;
  return true;
}

export class LineSplitter {
  readonly #maxLineBytes: number;
  /** Parts of the current line while it is under the cap. */
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** Bytes of the current line once it went over the cap (its bytes are no longer kept). */
  #overflowBytes: number | undefined;
  #overflowEndsWithCR = false;
  #lineNumber = 0;
  /** The first bytes of the stream, held until we know whether they are a UTF-8 BOM. */
  #head: Buffer | undefined = Buffer.alloc(0);

  constructor(maxLineBytes: number) {
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be an integer >= 1, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held for the current, unfinished line (at most maxLineBytes + 1 plus the BOM check). */
  bufferedBytes(): number {
    return this.#partBytes + (this.#head?.length ?? 0);
  }

  /** Feeds a chunk; yields every line it completes. Consume the generator fully before the next push. */
  *push(chunk: Buffer): Generator<RawLine> {
    if (this.#head !== undefined) {
      const head = Buffer.concat([this.#head, chunk]);
      if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) {
        this.#head = head;
        return;
      }
      this.#head = undefined;
      chunk = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
    }
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      this.#append(chunk.subarray(start, newline));
      const line = this.#finishLine();
      if (line !== undefined) yield line;
      start = newline + 1;
    }
    if (start < chunk.length) this.#append(chunk.subarray(start));
  }

  /** Ends the stream: yields the last line when it had no newline. */
  *end(): Generator<RawLine> {
    if (this.#head !== undefined && this.#head.length > 0) {
      const head = this.#head;
      this.#head = undefined;
      yield* this.push(head);
    }
    this.#head = undefined;
    if (this.#partBytes > 0 || this.#overflowBytes !== undefined) {
      const line = this.#finishLine();
      if (line !== undefined) yield line;
    }
  }

  #append(segment: Buffer): void {
    if (segment.length === 0) return;
    if (this.#overflowBytes !== undefined) {
      this.#overflowBytes += segment.length;
      this.#overflowEndsWithCR = segment[segment.length - 1] === CARRIAGE_RETURN;
      return;
    }
    // +1: a line of exactly the cap may still end in the `\r` of a CRLF.
    if (this.#partBytes + segment.length > this.#maxLineBytes + 1) {
      const last = segment[segment.length - 1];
      this.#overflowBytes = this.#partBytes + segment.length;
      this.#overflowEndsWithCR = last === CARRIAGE_RETURN;
      this.#parts = [];
      this.#partBytes = 0;
      return;
    }
    // Copy: a subarray would keep the whole read chunk alive as long as the line lives.
    this.#parts.push(Buffer.from(segment));
    this.#partBytes += segment.length;
  }

  #finishLine(): RawLine | undefined {
    this.#lineNumber += 1;
    const line = this.#lineNumber;
    if (this.#overflowBytes !== undefined) {
      const length = this.#overflowBytes - (this.#overflowEndsWithCR ? 1 : 0);
      this.#overflowBytes = undefined;
      this.#overflowEndsWithCR = false;
      return { line, tooLong: true, length };
    }
    const joined = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#partBytes);
    this.#parts = [];
    this.#partBytes = 0;
    const bytes = joined[joined.length - 1] === CARRIAGE_RETURN ? joined.subarray(0, joined.length - 1) : joined;
    if (bytes.length > this.#maxLineBytes) return { line, tooLong: true, length: bytes.length };
    if (isBlank(bytes)) return undefined;
    return { line, bytes };
  }
}
