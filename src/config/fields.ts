// Option fields: each turns the text a user typed into a value, or says what it expected.
// Used with validateOptions() so every bad option is reported the same way, naming flag, value and expectation.
import { z } from 'zod';
import { parseModelList } from '../input/fan-out.js';
import { parseShard } from '../input/shard.js';
import { parseDuration, parseSize } from './units.js';

/** A field parser: the value, or undefined when `raw` is not acceptable. */
function field<T>(expected: string, parse: (raw: string) => T | undefined) {
  return z.string().transform((raw, ctx): T => {
    const value = parse(raw);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return value;
  });
}

const INTEGER = /^\s*\d+\s*$/;

export const fields = {
  /** A whole number >= min (counts are >= 1). */
  integer: (min = 1, max = Number.MAX_SAFE_INTEGER) =>
    field(max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, (raw) => {
      if (!INTEGER.test(raw)) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    }),
  /** A fraction from 0 to 1, such as a failure rate. */
  ratio: () =>
    field('a number from 0 to 1', (raw) => {
      const value = Number(raw);
      return raw.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
    }),
  size: () => field('a size like 800MB, 1.5GB or 75%', parseSize),
  /** Sizes that cannot be a percentage (body and line caps). */
  bytes: () =>
    field('a size like 64KB, 8MB or 1GB', (raw) => {
      const spec = parseSize(raw);
      return spec?.kind === 'bytes' ? spec.bytes : undefined;
    }),
  duration: () => field('a duration like 250ms, 30s, 2m or 7d', parseDuration),
  positiveDuration: () =>
    field('a duration above zero like 250ms, 30s or 2m', (raw) => {
      const value = parseDuration(raw);
      return value !== undefined && value > 0 ? value : undefined;
    }),
  choice: <const T extends string>(values: readonly T[]) =>
    field(`one of ${values.join(', ')}`, (raw) => (values as readonly string[]).includes(raw) ? (raw as T) : undefined),
  /** A "Name: value" request header. */
  header: () =>
    field('a header like "Name: value"', (raw) => {
      const colon = raw.indexOf(':');
      const name = raw.slice(0, colon).trim();
      const value = raw.slice(colon + 1).trim();
      return colon > 0 && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) ? ([name, value] as const) : undefined;
    }),
  shard: () => field('K/N with 0 <= K < N, like 0/4', parseShard),
  /** Distinct model names separated by commas (--models). */
  models: () => field('a comma-separated list of distinct model names like gpt-4o,claude-sonnet-4-5', parseModelList),
  /** US dollars above zero, `$` allowed (--max-cost). */
  usd: () =>
    field('an amount in US dollars above zero like 5 or 12.50', (raw) => {
      const text = raw.trim().replace(/^\$/, '');
      const value = Number(text);
      return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(value) && value > 0 ? value : undefined;
    }),
  text: () => field('a non-empty value', (raw) => (raw.trim() === '' ? undefined : raw)),
  url: () =>
    field('an http(s) URL like http://127.0.0.1:8000/v1', (raw) => {
      try {
        const url = new URL(raw);
        return url.protocol === 'http:' || url.protocol === 'https:' ? raw.replace(/\/+$/, '') : undefined;
      } catch {
        return undefined;
      }
    }),
};
