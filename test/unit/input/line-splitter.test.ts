import { describe, expect, it } from 'vitest';
import { LineSplitter, type RawLine } from '../../../src/input/line-splitter.js';

type Seen = { line: number; text: string } | { line: number; tooLong: number };

function seen(lines: Iterable<RawLine>): Seen[] {
  return [...lines].map((raw) =>
    'tooLong' in raw ? { line: raw.line, tooLong: raw.length } : { line: raw.line, text: raw.bytes.toString('utf8') },
  );
}

function split(chunks: readonly Buffer[], maxLineBytes: number): Seen[] {
  const splitter = new LineSplitter(maxLineBytes);
  const out: Seen[] = [];
  for (const chunk of chunks) out.push(...seen(splitter.push(chunk)));
  out.push(...seen(splitter.end()));
  return out;
}

const BOM = '\ufeff';

describe('LineSplitter', () => {
  const cases: { name: string; input: string; cap?: number; expected: Seen[] }[] = [
    { name: 'empty input', input: '', expected: [] },
    { name: 'only newlines', input: '\n\n\r\n', expected: [] },
    { name: 'LF lines', input: 'a\nbb\n', expected: [{ line: 1, text: 'a' }, { line: 2, text: 'bb' }] },
    { name: 'CRLF lines', input: 'a\r\nbb\r\n', expected: [{ line: 1, text: 'a' }, { line: 2, text: 'bb' }] },
    { name: 'a lone CR inside a line is kept', input: 'a\rb\n', expected: [{ line: 1, text: 'a\rb' }] },
    { name: 'last line without newline', input: 'a\nlast', expected: [{ line: 1, text: 'a' }, { line: 2, text: 'last' }] },
    { name: 'last line with CR and no LF', input: 'a\nlast\r', expected: [{ line: 1, text: 'a' }, { line: 2, text: 'last' }] },
    {
      name: 'blank and whitespace lines are skipped but counted',
      input: '\n  \t\r\n{"a":1}\n \n{"b":2}',
      expected: [{ line: 3, text: '{"a":1}' }, { line: 5, text: '{"b":2}' }],
    },
    { name: 'BOM at the start is dropped', input: `${BOM}a\nb`, expected: [{ line: 1, text: 'a' }, { line: 2, text: 'b' }] },
    { name: 'BOM elsewhere is kept', input: `a\n${BOM}b`, expected: [{ line: 1, text: 'a' }, { line: 2, text: `${BOM}b` }] },
    { name: 'multi-byte characters', input: 'é😀\nß', expected: [{ line: 1, text: 'é😀' }, { line: 2, text: 'ß' }] },
    { name: 'a line of exactly the cap', input: '12345\n', cap: 5, expected: [{ line: 1, text: '12345' }] },
    { name: 'a line of the cap plus CRLF', input: '12345\r\nab', cap: 5, expected: [{ line: 1, text: '12345' }, { line: 2, text: 'ab' }] },
    { name: 'a line one byte over the cap', input: '123456\nab', cap: 5, expected: [{ line: 1, tooLong: 6 }, { line: 2, text: 'ab' }] },
    {
      name: 'an over-long line in the middle',
      input: 'ok\n' + 'x'.repeat(25) + '\r\nfine\n',
      cap: 10,
      expected: [{ line: 1, text: 'ok' }, { line: 2, tooLong: 25 }, { line: 3, text: 'fine' }],
    },
    {
      name: 'an over-long line at EOF without newline',
      input: 'ok\n' + 'y'.repeat(40),
      cap: 10,
      expected: [{ line: 1, text: 'ok' }, { line: 2, tooLong: 40 }],
    },
    {
      name: 'cap counts bytes, not characters',
      input: 'ééé\n',
      cap: 5,
      expected: [{ line: 1, tooLong: 6 }],
    },
  ];

  it.each(cases)('$name: one chunk', ({ input, cap = 1024, expected }) => {
    expect(split([Buffer.from(input)], cap)).toEqual(expected);
  });

  it.each(cases)('$name: split at every position', ({ input, cap = 1024, expected }) => {
    const bytes = Buffer.from(input);
    for (let at = 0; at <= bytes.length; at += 1) {
      expect(split([bytes.subarray(0, at), bytes.subarray(at)], cap), `split at ${at}`).toEqual(expected);
    }
  });

  it.each(cases)('$name: one byte at a time', ({ input, cap = 1024, expected }) => {
    const bytes = Buffer.from(input);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(split(chunks, cap)).toEqual(expected);
  });

  it('keeps a partial BOM at EOF as line bytes', () => {
    const splitter = new LineSplitter(10);
    const lines = [...splitter.push(Buffer.from([0xef, 0xbb])), ...splitter.end()];
    expect(lines).toEqual([{ line: 1, bytes: Buffer.from([0xef, 0xbb]) }]);
  });

  it('returns lines that do not share memory with the chunk they came from', () => {
    const chunk = Buffer.from('abc\ndef\n');
    const lines = seen(new LineSplitter(10).push(chunk));
    chunk.fill(0x7a);
    expect(lines).toEqual([{ line: 1, text: 'abc' }, { line: 2, text: 'def' }]);
  });

  it('reports a 50 MB line under a 1 MB cap while holding no more than about the cap', () => {
    const cap = 1024 * 1024;
    const lineBytes = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const splitter = new LineSplitter(cap);
    const out: Seen[] = [];
    let maxBuffered = 0;
    for (let sent = 0; sent < lineBytes; sent += chunk.length) {
      out.push(...seen(splitter.push(chunk)));
      maxBuffered = Math.max(maxBuffered, splitter.bufferedBytes());
    }
    out.push(...seen(splitter.push(Buffer.from('\n{"id":"after"}\n'))));
    out.push(...seen(splitter.end()));
    expect(out).toEqual([{ line: 1, tooLong: lineBytes }, { line: 2, text: '{"id":"after"}' }]);
    expect(maxBuffered).toBeLessThanOrEqual(cap + 1);
  });

  it('refuses a cap below 1', () => {
    expect(() => new LineSplitter(0)).toThrow(RangeError);
  });
});
