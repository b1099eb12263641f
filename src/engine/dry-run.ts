// --dry-run: read, validate and count every record and estimate its tokens; no request, no checkpoint.
import type { InputSource } from '../input/open-input.js';
import type { NormalizeOptions } from '../input/normalize.js';
import { readRecords, type ReaderOptions } from './record-reader.js';

export interface DryRunReport {
  readonly records: number;
  readonly valid: number;
  readonly invalid: number;
  readonly trimmed: number;
  readonly estimatedPromptTokens: number;
  /** The first bad lines, for the user to fix (capped: memory must not grow with the input). */
  readonly examples: readonly { line: number; id: string; code: string; message: string }[];
}

const MAX_EXAMPLES = 20;

/** Reads through the run's own reader stage, so --shard and --limit select exactly the records a run would. */
export async function dryRun(input: InputSource, normalise: NormalizeOptions, selection: ReaderOptions): Promise<DryRunReport> {
  let records = 0;
  let valid = 0;
  let trimmed = 0;
  let tokens = 0;
  const examples: { line: number; id: string; code: string; message: string }[] = [];
  try {
    for await (const parsed of readRecords(input, normalise, selection)) {
      records++;
      if (parsed.kind === 'job') {
        valid++;
        tokens += parsed.job.estimatedTokens;
        if (parsed.job.trimmed) trimmed++;
      } else if (examples.length < MAX_EXAMPLES) {
        examples.push({ line: parsed.bad.line, id: parsed.bad.id, code: parsed.bad.code, message: parsed.bad.message });
      }
    }
  } finally {
    input.close();
  }
  return { records, valid, invalid: records - valid, trimmed, estimatedPromptTokens: tokens, examples };
}
