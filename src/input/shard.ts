// --shard K/N: a stable split of input records by id, so N machines can share one input without coordination.
import { createHash } from 'node:crypto';

export interface Shard {
  /** Counted from 0, like Kubernetes' JOB_COMPLETION_INDEX. */
  readonly index: number;
  readonly count: number;
}

/** `2/8` -> {index: 2, count: 8}; undefined unless 0 <= K < N. */
export function parseShard(text: string): Shard | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}

/** The shard an id belongs to: the first 32 bits of sha256(id), modulo N (the same on every machine). */
export function shardOf(id: string, count: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % count;
}

export function inShard(id: string, shard: Shard | undefined): boolean {
  return shard === undefined || shard.count === 1 || shardOf(id, shard.count) === shard.index;
}
