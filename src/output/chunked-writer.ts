// Gathers small pieces (rows, vectors) into ~64 KiB writes: few syscalls, and a bounded amount in memory,
// because each full chunk waits for the sink to accept it before more is read.
import type { OutputSink } from './output-file.js';

/** About 64 KiB per write. */
export const CHUNK_SIZE = 64 * 1024;

abstract class ChunkedWriter<Piece extends string | Buffer> {
  private parts: Piece[] = [];
  private size = 0;

  constructor(private readonly sink: OutputSink) {}

  protected abstract join(parts: Piece[]): Piece;

  async add(piece: Piece): Promise<void> {
    this.parts.push(piece);
    this.size += piece.length;
    if (this.size >= CHUNK_SIZE) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.join(this.parts);
    this.parts = [];
    this.size = 0;
    await this.sink.write(chunk);
  }
}

export class TextChunkWriter extends ChunkedWriter<string> {
  protected join(parts: string[]): string {
    return parts.join('');
  }
}

export class ByteChunkWriter extends ChunkedWriter<Buffer> {
  protected join(parts: Buffer[]): Buffer {
    // A fresh buffer per chunk: the stream may still hold the previous one while it is being written.
    return Buffer.concat(parts);
  }
}
