// Streams pending requests into batch files capped by requests and bytes, one endpoint per file. A chunk is marked
// written only in the transaction that commits its last members, after its file is fsynced: a crash before that
// leaves a `writing` chunk, abandoned (its records pending again) by the next run.
import fs from 'node:fs';
import type { BatchChunks, MemberRow } from '../checkpoint/batch-chunks.js';

export interface ChunkCaps {
  readonly maxRequests: number;
  readonly maxBytes: number;
}

interface OpenChunk {
  readonly id: number;
  readonly fd: number;
  readonly path: string;
  requests: number;
  bytes: number;
}

export type AddResult = { readonly chunkId: number; readonly fileLine: number } | { readonly tooLarge: true; readonly bytes: number };

export class ChunkWriter {
  private current: OpenChunk | undefined;
  private pendingMembers: MemberRow[] = [];
  /** Chunks finished by this writer, in order. */
  readonly finished: number[] = [];

  constructor(
    private readonly chunks: BatchChunks,
    private readonly transaction: (work: () => void) => void,
    /** The checkpoint's path: chunk files go next to it. */
    private readonly checkpointPath: string,
    private readonly caps: ChunkCaps,
    private readonly provider: string,
    private readonly endpoint: string,
  ) {}

  /**
   * Appends one request line (`{custom_id, method, url, body}` JSON), rotating to a new chunk at the caps. The
   * writer keeps no map of its lines: an identical request finds its line through the members already committed
   * (BatchChunks.liveLines), so memory does not grow with --batch-max-requests.
   */
  add(lineText: string): AddResult {
    const bytes = Buffer.byteLength(lineText) + 1;
    if (bytes > this.caps.maxBytes) return { tooLarge: true, bytes };
    if (this.current !== undefined && (this.current.requests + 1 > this.caps.maxRequests || this.current.bytes + bytes > this.caps.maxBytes)) {
      this.transaction(() => this.finishCurrent());
    }
    const chunk = (this.current ??= this.openChunk());
    fs.writeSync(chunk.fd, `${lineText}\n`);
    chunk.requests += 1;
    chunk.bytes += bytes;
    return { chunkId: chunk.id, fileLine: chunk.requests };
  }

  /** Queues a member; written by flushMembers in the caller's transaction with the rest of its intake batch. */
  addMember(member: MemberRow): void {
    this.pendingMembers.push(member);
  }

  /** Call inside a transaction. */
  flushMembers(): void {
    this.chunks.addMembers(this.pendingMembers);
    this.pendingMembers = [];
  }

  /** Ends the chunk being written (if any); call inside a transaction. */
  finishCurrent(): void {
    this.flushMembers();
    const chunk = this.current;
    if (chunk === undefined) return;
    this.current = undefined;
    fs.fsyncSync(chunk.fd);
    fs.closeSync(chunk.fd);
    this.chunks.finish(chunk.id, chunk.requests, chunk.bytes);
    this.finished.push(chunk.id);
  }

  /** After a failure: closes the open file, leaving the chunk `writing` for the next run to abandon. */
  abandon(): void {
    if (this.current !== undefined) fs.closeSync(this.current.fd);
    this.current = undefined;
    this.pendingMembers = [];
  }

  private openChunk(): OpenChunk {
    let id = 0;
    let path = '';
    this.transaction(() => {
      id = this.chunks.open(this.provider, this.endpoint);
      path = `${this.checkpointPath}.batch-${id}.jsonl`;
      this.chunks.setFilePath(id, path);
    });
    const fd = fs.openSync(path, 'w', 0o600);
    return { id, fd, path, requests: 0, bytes: 0 };
  }
}
