// The lost-create adoption rule of Anthropic batches, which carry no metadata: table-driven, injected times.
import { describe, expect, it } from 'vitest';
import { ADOPT_SKEW_MS, adoptionCandidate } from '../../../src/batch/anthropic-create.js';
import type { BatchSnapshot } from '../../../src/checkpoint/batch-batches.js';

const sent = { chunkId: 7, firstCustomId: 'a', lastCustomId: 'z', requests: 30, sentAt: 1_000_000_000 };
const now = sent.sentAt + 60_000;
const batch = (id: string, total: number, createdAt: number | null): BatchSnapshot => ({
  id, status: 'in_progress', endpoint: '/v1/chat/completions', inputFileId: '', outputFileId: null, errorFileId: null,
  total, completed: 0, failed: 0, createdAt, expiresAt: null, metadata: {}, errors: [],
});

describe('adoptionCandidate', () => {
  const owned = new Set(['mine']);
  it.each([
    ['same count, created after the send', batch('b1', 30, sent.sentAt + 5), true],
    ['same count, within the clock skew before the send', batch('b2', 30, sent.sentAt - ADOPT_SKEW_MS + 1), true],
    ['same count, older than the skew allows', batch('b3', 30, sent.sentAt - ADOPT_SKEW_MS - 1), false],
    ['same count, in the future past the skew', batch('b4', 30, now + ADOPT_SKEW_MS + 1), false],
    ['another request count', batch('b5', 29, sent.sentAt + 5), false],
    ['owned by a chunk of this checkpoint', batch('mine', 30, sent.sentAt + 5), false],
    ['no created_at', batch('b6', 30, null), false],
  ])('%s', (_name, listed, expected) => {
    expect(adoptionCandidate(listed, sent, now, (id) => owned.has(id))).toBe(expected);
  });
});
