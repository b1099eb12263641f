import { describe, expect, it } from 'vitest';
import { colorAllowed, humanLogFormatter } from '../../../src/ui/human-log.js';
import { LogOutput, type LogDestination } from '../../../src/ui/log-output.js';

const TIME = '2026-12-04T01:23:45.678Z';
const plain = humanLogFormatter({ color: false });

/** The local wall-clock time of TIME, as the formatter shows it to the person at the terminal. */
function clock(iso: string): string {
  const date = new Date(iso);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

function line(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ level: 30, time: TIME, pid: 4242, hostname: 'box', ...fields })}\n`;
}

// guards: defect 6, raw pino JSON above the progress bar where a person expects a readable line
describe('humanLogFormatter', () => {
  it('shows time, level, message and the key fields, not pid or hostname', () => {
    const text = plain(line({ input: 'fixtures/prompts.jsonl', provider: 'mock', msg: 'run started' }));
    expect(text).toBe(`${clock(TIME)} INFO  run started  input=fixtures/prompts.jsonl provider=mock\n`);
  });

  it.each([
    [10, 'TRACE'],
    [20, 'DEBUG'],
    [30, 'INFO '],
    [40, 'WARN '],
    [50, 'ERROR'],
    [60, 'FATAL'],
  ])('names level %i %s, padded so messages line up', (level, label) => {
    expect(plain(line({ level, msg: 'm' }))).toBe(`${clock(TIME)} ${label} m\n`);
  });

  it.each([
    ['a number', { batchSize: 32 }, 'batchSize=32'],
    ['a boolean and null', { retryable: false, model: null }, 'retryable=false model=null'],
    ['a string with spaces, quoted', { reason: 'no new records' }, 'reason="no new records"'],
    ['an empty string, quoted', { model: '' }, 'model=""'],
    ['a string with = or quotes, quoted', { q: 'a=b', r: 'say "hi"' }, 'q="a=b" r="say \\"hi\\""'],
    ['a nested object, as dotted names', { provider: { name: 'mock', baseUrl: 'http://127.0.0.1:1/v1' } }, 'provider.name=mock provider.baseUrl=http://127.0.0.1:1/v1'],
    ['an object nested deeper than three levels, as JSON', { a: { b: { c: { d: 1 } } } }, 'a.b.c={"d":1}'],
    ['an array, as JSON', { ids: [1, 2] }, 'ids=[1,2]'],
    ['an error, by its message (the stack stays in JSON logs)', { err: { type: 'Error', message: 'boom now', stack: 'Error: boom now\n    at x', code: 'E1' } }, 'err="boom now" err.code=E1'],
    ['an error of another type, with its type', { err: { type: 'TypeError', message: 'bad', stack: 'TypeError: bad' } }, 'err="TypeError: bad"'],
    ['a control character in a value, escaped', { v: 'a\u001b[2Jb' }, 'v="a\\u001b[2Jb"'],
  ])('formats %s', (_name, fields, expected) => {
    expect(plain(line({ ...fields, msg: 'm' }))).toBe(`${clock(TIME)} INFO  m  ${expected}\n`);
  });

  it('keeps one entry on one line and passes no terminal escapes through the message', () => {
    expect(plain(line({ msg: 'first\nsecond \u001b[31mred\u009b' }))).toBe(`${clock(TIME)} INFO  first\\nsecond \\u001b[31mred\\u009b\n`);
  });

  it('colors only the level, and only when asked', () => {
    const colored = humanLogFormatter({ color: true });
    expect(colored(line({ level: 40, msg: 'careful', n: 1 }))).toBe(`${clock(TIME)} \u001b[33mWARN \u001b[0m careful  n=1\n`);
    expect(plain(line({ level: 40, msg: 'careful' }))).not.toContain('\u001b');
  });

  it('passes a line that is not a JSON object through whole', () => {
    expect(plain('not json')).toBe('not json\n');
    expect(plain('[1,2]\n')).toBe('[1,2]\n');
  });

  it('omits what the entry lacks (no time, no message)', () => {
    expect(plain(JSON.stringify({ level: 30, n: 1 }))).toBe('INFO  n=1\n');
  });
});

describe('colorAllowed', () => {
  it.each([
    [{}, true],
    [{ NO_COLOR: '' }, true],
    [{ NO_COLOR: '1' }, false],
    [{ NO_COLOR: 'yes' }, false],
    [{ TERM: 'dumb' }, false],
    [{ TERM: 'xterm-256color' }, true],
  ])('%o -> %s', (env, expected) => {
    expect(colorAllowed(env)).toBe(expected);
  });
});

describe('human lines through LogOutput', () => {
  // guards: secrets stay scrubbed in the human format, including forms only visible once the JSON is parsed
  it('scrubs secrets before and after formatting', () => {
    const written: string[] = [];
    const destination: LogDestination = { write: (text) => written.push(text), flushSync: () => {}, end: () => {} };
    const output = new LogOutput({ destination, secrets: ['tok<en>9'], sharesTerminal: true, format: plain });
    // pino escapes "<" nowhere, but a JSON serializer may write \u003c: only the parsed text shows the value
    output.write('{"level":30,"time":"2026-12-04T01:23:45.678Z","msg":"echo tok\\u003cen>9","key":"sk-abcdef123456"}\n');
    expect(written).toEqual([`${clock(TIME)} INFO  echo [redacted]  key=[redacted]\n`]);
  });
});
