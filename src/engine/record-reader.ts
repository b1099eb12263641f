// The reader stage: input lines -> normalized records, filtered to this run's --shard and cut at --limit.
// The run and --dry-run read through the same stage, so both see exactly the same records.
import type { InputSource } from '../input/open-input.js';
import { normalizeLine, type NormalizeOptions } from '../input/normalize.js';
import type { ParsedLine } from '../input/record.js';
import { idOf } from './planner.js';
import type { Expansion } from './record-expansion.js';
import { inShard, type Shard } from '../input/shard.js';

export interface ReaderOptions {
  readonly shard: Shard | undefined;
  /** Input records (lines of this shard), counted before --models fans them out. */
  readonly limit: number | undefined;
  /** --models / --routes / --max-cost (record-expansion.ts); undefined: each record as it is. */
  readonly expand?: Expansion | undefined;
}

/** Records of this shard, in input order, at most `limit` of them. */
export async function* readRecords(input: InputSource, normalise: NormalizeOptions, options: ReaderOptions): AsyncGenerator<ParsedLine> {
  const { shard, limit, expand } = options;
  if (limit !== undefined && limit <= 0) return;
  let count = 0;
  for await (const raw of input.lines()) {
    const parsed = normalizeLine(raw, normalise);
    if (shard !== undefined && !inShard(idOf(parsed).id, shard)) continue;
    if (expand === undefined || parsed.kind === 'bad') yield parsed;
    else for (const job of expand(parsed.job)) yield { kind: 'job', job };
    count++;
    if (limit !== undefined && count >= limit) return;
  }
}
