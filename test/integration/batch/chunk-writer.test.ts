// Chunk files and their steps in a real checkpoint: the caps, and a crash mid-chunk leaving nothing half-submitted.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkWriter } from '../../../src/batch/chunk-writer.js';
import { BatchChunks, type MemberRow } from '../../../src/checkpoint/batch-chunks.js';
import { MIGRATIONS } from '../../../src/checkpoint/schema.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { tempDir } from '../../helpers/checkpoint.js';

let dir: string;
let store: CheckpointStore;
let chunks: BatchChunks;
beforeEach(() => {
  dir = tempDir('chunks');
  store = CheckpointStore.open(path.join(dir, 'c.memsafe.db'));
  chunks = new BatchChunks(store.database);
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const writerWith = (maxRequests: number, maxBytes: number) =>
  new ChunkWriter(chunks, (work) => store.database.transaction(work)(), store.file, { maxRequests, maxBytes }, 'mock', '/v1/chat/completions');

function addRecords(writer: ChunkWriter, count: number, bytes = 40): void {
  for (let i = 0; i < count; i++) {
    const hash = `h${i}`;
    const added = writer.add(JSON.stringify({ custom_id: hash, pad: 'x'.repeat(bytes) }));
    if ('tooLarge' in added) throw new Error('too large');
    const member: MemberRow = { recordId: `r${i}`, chunkId: added.chunkId, customId: hash, line: i + 1, fileLine: added.fileLine, runId: 1, trimmed: false, tokens: 0, detail: null, reservedUsd: 0 };
    writer.addMember(member);
  }
  store.database.transaction(() => writer.finishCurrent())();
}

describe('ChunkWriter', () => {
  it('starts a new file at --batch-max-requests', () => {
    const writer = writerWith(4, 1_000_000);
    addRecords(writer, 10);
    expect(writer.finished.map((id) => chunks.get(id)?.requests)).toEqual([4, 4, 2]);
    for (const id of writer.finished) expect(fs.readFileSync(chunks.get(id)?.filePath ?? '', 'utf8').trim().split('\n')).toHaveLength(chunks.get(id)?.requests ?? -1);
  });

  it('starts a new file before a line would pass --batch-max-bytes', () => {
    const writer = writerWith(1000, 200);
    addRecords(writer, 6, 40);
    const sizes = writer.finished.map((id) => chunks.get(id)?.bytes ?? 0);
    expect(sizes.every((size) => size <= 200)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6 * (JSON.stringify({ custom_id: 'h0', pad: 'x'.repeat(40) }).length + 1));
  });

  it('refuses a single request over the byte cap', () => {
    expect(writerWith(10, 50).add('x'.repeat(60))).toEqual({ tooLarge: true, bytes: 61 });
  });

  it('files are private (0600) and every chunk is marked written with its members', () => {
    const writer = writerWith(3, 1_000_000);
    addRecords(writer, 5);
    for (const id of writer.finished) {
      expect(chunks.get(id)?.step).toBe('written');
      expect(fs.statSync(chunks.get(id)?.filePath ?? '').mode & 0o777).toBe(0o600);
    }
    expect(chunks.countLive()).toEqual({ chunks: 2, members: 5 });
  });

  // guards: a crash mid-chunk must not leave records marked as in a batch that will never be submitted
  it('a chunk left writing by a crash is abandoned: its records are pending again and its file is returned', () => {
    const writer = writerWith(100, 1_000_000);
    const added = writer.add('{"custom_id":"h0"}');
    if ('tooLarge' in added) throw new Error('too large');
    writer.addMember({ recordId: 'r0', chunkId: added.chunkId, customId: 'h0', line: 1, fileLine: 1, runId: 1, trimmed: false, tokens: 0, detail: null, reservedUsd: 0 });
    store.database.transaction(() => writer.flushMembers())();
    writer.abandon(); // the process died before the chunk was finished
    expect(chunks.liveMembers(['r0']).size).toBe(1);
    const files = chunks.abandonWriting();
    expect(files).toHaveLength(1);
    expect(chunks.liveMembers(['r0']).size).toBe(0);
    expect(chunks.unsubmitted()).toEqual([]);
  });

  it('the checkpoint names itself for batch metadata, once', () => {
    expect(chunks.checkpointId()).toMatch(/^[0-9a-f]{32}$/);
    expect(store.database.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });
});
