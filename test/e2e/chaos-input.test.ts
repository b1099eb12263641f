// Fault suite: hostile input. The corpus in fixtures/bad-input/ (wrong types for every field, invalid UTF-8,
// binary junk) and generated lines (a 100 MB line, JSON nested 100k deep). Every bad line ends as an error
// record with its line number, the good lines around it all succeed, and the run never crashes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish } from '../helpers/chaos.js';
import { ROOT, spawnCli } from '../helpers/cli.js';
import { query } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const CORPUS = path.join(ROOT, 'fixtures', 'bad-input');

let server: FaultServer;
const work = useTestWork('chaos-input');
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

interface Row {
  id: string;
  line: number;
  status: 'done' | 'failed';
  error_code: string | null;
  error_message: string | null;
}

interface Summary {
  exit_code: number;
  records: { read: number; done: number; failed: number };
  memory: { peak_rss_bytes: number };
}

async function run(mode: 'cache' | 'embeddings', input: string, extra: string[] = []): Promise<{ rows: Map<number, Row>; summary: Summary; sent: number }> {
  const db = path.join(work.dir, `${path.basename(input)}.memsafe.db`);
  const before = server.requests.length;
  const result = await finish(
    spawnCli([mode, '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'test-model', '--no-progress', '--log-level', 'error', '--json', ...extra]),
  );
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(result.code, result.stderr).toBe(3);
  const rows = query<Row>(db, 'SELECT id, line, status, error_code, error_message FROM records');
  return { rows: new Map(rows.map((row) => [row.line, row])), summary: JSON.parse(result.stdout) as Summary, sent: server.requests.length - before };
}

/** The lines of a buffer as the splitter numbers them, and whether each holds anything but blanks. */
function splitLines(bytes: Buffer): { line: number; bytes: Buffer; blank: boolean }[] {
  const lines: { line: number; bytes: Buffer; blank: boolean }[] = [];
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const content = bytes.subarray(start, end);
    lines.push({ line, bytes: content, blank: content.every((byte) => [0x20, 0x09, 0x0d, 0x0b, 0x0c].includes(byte)) });
    start = end + 1;
  }
  return lines;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (bytes: Buffer) => {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('bad input corpus', () => {
  it.each([
    ['wrong-types-chat.jsonl', 'cache'],
    ['wrong-types-embeddings.jsonl', 'embeddings'],
  ] as const)('%s: every wrong type of every field is an error record at its line naming the field; the good lines are done', async (file, mode) => {
    const input = path.join(CORPUS, file);
    const expectations = fs
      .readFileSync(input, 'utf8')
      .trimEnd()
      .split('\n')
      .map((text) => (JSON.parse(text) as { expect: string }).expect);
    const { rows, summary, sent } = await run(mode, input);
    const good = expectations.filter((expectation) => expectation === 'good').length;
    expect(good).toBeGreaterThan(40);
    expect(summary.records).toMatchObject({ read: expectations.length, done: good, failed: expectations.length - good });
    expect(rows.size).toBe(expectations.length);
    for (const [index, expectation] of expectations.entries()) {
      const row = rows.get(index + 1);
      if (expectation === 'good') {
        expect(row, `line ${index + 1}`).toMatchObject({ status: 'done', error_code: null });
        continue;
      }
      const field = expectation.replace(/^bad:/, '');
      expect(row, `line ${index + 1} (${expectation})`).toMatchObject({ status: 'failed', error_code: 'invalid_record' });
      expect(row?.error_message, `line ${index + 1}`).toContain(field);
    }
    // Nothing bad was sent: one request per good chat line; embeddings pack the good texts.
    if (mode === 'cache') expect(sent).toBe(good);
    else expect(server.requests.slice(-sent).flatMap((request) => (request.json as { input: string[] }).input)).toHaveLength(good);
  });

  it('invalid UTF-8 (overlong, surrogates, truncated, Latin-1, past U+10FFFF): invalid_utf8 at each line; the good lines are done', async () => {
    const input = path.join(CORPUS, 'invalid-utf8.jsonl');
    const lines = splitLines(fs.readFileSync(input));
    const { rows } = await run('cache', input);
    const bad = lines.filter((line) => !isUtf8(line.bytes));
    expect(bad.length).toBeGreaterThan(10);
    for (const { line } of bad) expect(rows.get(line), `line ${line}`).toMatchObject({ id: `line-${line}`, status: 'failed', error_code: 'invalid_utf8' });
    const good = lines.filter((line) => isUtf8(line.bytes));
    for (const { line } of good) expect(rows.get(line), `line ${line}`).toMatchObject({ status: 'done' });
    expect(rows.size).toBe(lines.length);
  });

  it('binary junk between good lines: each non-blank junk line is an error record at its line, the good lines are done', async () => {
    const goodLines = (from: number) => Array.from({ length: 3 }, (_, i) => JSON.stringify({ id: `good-${from + i}`, prompt: `fine ${from + i}` })).join('\n');
    const bytes = Buffer.concat([Buffer.from(`${goodLines(1)}\n`), fs.readFileSync(path.join(CORPUS, 'binary-junk.bin')), Buffer.from(`\n${goodLines(4)}\n`)]);
    const input = path.join(work.dir, 'junk.jsonl');
    fs.writeFileSync(input, bytes);
    const lines = splitLines(bytes);
    const { rows, summary } = await run('cache', input);
    const junk = lines.slice(3, -3).filter((line) => !line.blank);
    expect(junk.length).toBeGreaterThan(50);
    for (const { line } of junk) {
      expect(rows.get(line), `line ${line}`).toMatchObject({ id: `line-${line}`, status: 'failed' });
      expect(rows.get(line)?.error_code).toMatch(/^(invalid_utf8|invalid_json|not_an_object|invalid_record)$/);
    }
    for (const { line } of [...lines.slice(0, 3), ...lines.slice(-3)]) expect(rows.get(line), `line ${line}`).toMatchObject({ status: 'done' });
    expect(summary.records).toMatchObject({ done: 6, failed: junk.length });
  });

  it('a 100 MB single line with the default --max-line-bytes: line_too_long at its line, RSS nowhere near 100 MB', async () => {
    const input = path.join(work.dir, 'huge.jsonl');
    const fd = fs.openSync(input, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify({ id: 'good-1', prompt: 'before' })}\n{"id":"huge","prompt":"`);
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
      fs.writeSync(fd, `"}\n${JSON.stringify({ id: 'good-2', prompt: 'after' })}\n{"id":"last","prompt":"`);
      // The last line is over the cap too, and has no newline: the end of input must still report it.
      for (let i = 0; i < 9; i++) fs.writeSync(fd, chunk);
      fs.writeSync(fd, '"}');
    } finally {
      fs.closeSync(fd);
    }
    const { rows, summary } = await run('cache', input);
    expect(rows.get(1)).toMatchObject({ id: 'good-1', status: 'done' });
    expect(rows.get(3)).toMatchObject({ id: 'good-2', status: 'done' });
    for (const line of [2, 4]) {
      expect(rows.get(line), `line ${line}`).toMatchObject({ id: `line-${line}`, status: 'failed', error_code: 'line_too_long' });
      expect(rows.get(line)?.error_message).toMatch(new RegExp(`line ${line} is too long .*--max-line-bytes`));
    }
    expect(rows.get(2)?.error_message).toContain(`(${100 * 1024 * 1024 + '{"id":"huge","prompt":""}'.length} bytes)`);
    expect(summary.memory.peak_rss_bytes).toBeLessThan(200 * 1024 * 1024);
  });

  // guards: a line nested too deeply for a recursive walk must fail alone, not take the run down
  it('JSON nested 100k levels deep, in every place a line can hold it: error records, never a crash', async () => {
    const depth = 100_000;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const chatBody = (extra: string) => `{"messages":[{"role":"user","content":"hi"}]${extra}}`;
    const cases: [string, string][] = [
      [deepArray, 'not_an_object'],
      ['['.repeat(depth), 'invalid_json'],
      [deepObject, 'invalid_record'],
      [`{"id":"deep-prompt","prompt":${deepArray}}`, 'invalid_record'],
      [`{"id":"deep-model","prompt":"hi","model":${deepObject}}`, 'invalid_record'],
      [`{"id":"deep-messages","messages":${deepArray}}`, 'invalid_record'],
      [`{"id":"deep-part","messages":[{"role":"user","content":[{"type":"text","text":"hi","extra":${deepArray}}]}]}`, 'invalid_record'],
      [`{"id":"deep-tools","messages":[{"role":"assistant","content":null,"tool_calls":${deepArray}},{"role":"user","content":"go on"}]}`, 'invalid_record'],
      [`{"custom_id":"deep-body","method":"POST","url":"/v1/chat/completions","body":${chatBody(`,"metadata":${deepArray}`)}}`, 'invalid_record'],
      [`{"custom_id":"deep-object","method":"POST","url":"/v1/chat/completions","body":${chatBody(`,"metadata":${deepObject}`)}}`, 'invalid_record'],
    ];
    const lines: string[] = [];
    for (const [index, [text]] of cases.entries()) lines.push(JSON.stringify({ id: `good-${index}`, prompt: `fine ${index}` }), text);
    // Deep, but not pathologically: an ordinary request that must go through.
    lines.push(`{"custom_id":"nested-500","method":"POST","url":"/v1/chat/completions","body":${chatBody(`,"metadata":${'['.repeat(500)}${']'.repeat(500)}`)}}`);
    const input = path.join(work.dir, 'deep.jsonl');
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
    const { rows } = await run('cache', input);
    for (const [index, [, code]] of cases.entries()) {
      expect(rows.get(2 * index + 1), `good line ${2 * index + 1}`).toMatchObject({ status: 'done' });
      expect(rows.get(2 * index + 2), `deep line ${2 * index + 2}`).toMatchObject({ status: 'failed', error_code: code });
    }
    expect(rows.get(lines.length)).toMatchObject({ id: 'nested-500', status: 'done' });
    expect(rows.get(16)?.error_message).toBe('the request is nested too deeply');

    const texts = path.join(work.dir, 'deep-texts.jsonl');
    fs.writeFileSync(
      texts,
      [
        JSON.stringify({ id: 'good-text', text: 'fine' }),
        `{"id":"deep-text","text":${deepArray}}`,
        `{"custom_id":"deep-input","method":"POST","url":"/v1/embeddings","body":{"input":${deepArray}}}`,
        `{"custom_id":"deep-extra","method":"POST","url":"/v1/embeddings","body":{"input":"hi","extra":${deepObject}}}`,
      ].join('\n'),
    );
    const embedded = await run('embeddings', texts);
    expect([...embedded.rows.values()].sort((a, b) => a.line - b.line).map((row) => [row.line, row.status, row.error_code])).toEqual([
      [1, 'done', null],
      [2, 'failed', 'invalid_record'],
      [3, 'failed', 'invalid_record'],
      [4, 'failed', 'invalid_record'],
    ]);
  });
});
