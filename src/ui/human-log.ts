// A pino JSON line turned into a line a person at a terminal reads:
//   01:23:45 INFO  run started  input=fixtures/prompts.jsonl provider=mock
// Runs on the main thread, line by line: a pino transport (pino-pretty's usual home) costs a worker thread.

export interface HumanLogOptions {
  /** Color the level (stderr is a terminal and NO_COLOR is unset). */
  color: boolean;
}

const LEVELS: Readonly<Record<number, { label: string; color: string }>> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '34' },
  30: { label: 'INFO', color: '32' },
  40: { label: 'WARN', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '41' },
};

/** Fields every line has that a person at the terminal does not need to read again. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
/** Objects nested deeper are shown as compact JSON rather than ever longer dotted names. */
const MAX_DEPTH = 2;
/** Shown without quotes: no spaces, quotes, `=`, backslashes or control characters that would make it ambiguous. */
// eslint-disable-next-line no-control-regex -- control characters must be quoted (escaped), never printed raw
const BARE_VALUE = /^[^\s"'=\\\x00-\x1f\x7f-\x9f]+$/;

export type LogFormat = 'json' | 'human';

/** Human lines only for a person at a terminal; files, pipes and --json get JSON lines, one per entry. */
export function logFormat(options: { toFile: boolean; json: boolean; tty: boolean }): LogFormat {
  return !options.toFile && options.tty && !options.json ? 'human' : 'json';
}

/** True when NO_COLOR (https://no-color.org) is unset or empty and the terminal is not "dumb". */
export function colorAllowed(env: NodeJS.ProcessEnv): boolean {
  return (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
}

/** Builds the formatter once; it takes one JSON line (with or without its newline) and returns one line. */
export function humanLogFormatter(options: HumanLogOptions): (jsonLine: string) => string {
  return (jsonLine) => {
    const entry = parseEntry(jsonLine);
    if (entry === undefined) return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
    const head = [clockOf(entry['time']), levelOf(entry['level'], options.color)].filter((part) => part !== '');
    const message = typeof entry['msg'] === 'string' ? escapeControls(entry['msg']) : '';
    const fields: string[] = [];
    for (const [key, value] of Object.entries(entry)) {
      if (!HIDDEN.has(key)) appendField(fields, key, value, 0);
    }
    const body = [message, fields.join(' ')].filter((part) => part !== '').join('  ');
    return `${head.join(' ')} ${body}`.trimEnd() + '\n';
  };
}

/** One entry, one line, and no terminal escapes smuggled in by a server's error text. */
function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (char) => (char === '\n' ? '\\n' : char === '\t' ? '\\t' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

function parseEntry(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Local wall-clock time: the person reading compares it with their own clock. */
function clockOf(time: unknown): string {
  if (typeof time !== 'string' && typeof time !== 'number') return '';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return '';
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

function levelOf(level: unknown, color: boolean): string {
  const known = typeof level === 'number' ? LEVELS[level] : undefined;
  const label = (known?.label ?? (typeof level === 'string' ? level.toUpperCase() : `L${String(level)}`)).padEnd(5);
  return color && known !== undefined ? `\x1b[${known.color}m${label}\x1b[0m` : label;
}

function appendField(fields: string[], key: string, value: unknown, depth: number): void {
  if (value === undefined) return;
  if (isErrorShaped(value)) {
    // pino's err serializer: the message is what a person needs; the stack stays in --log-file / JSON output.
    const { message, stack: _stack, type, ...rest } = value;
    fields.push(`${key}=${formatValue(type === undefined || type === 'Error' ? message : `${String(type)}: ${String(message)}`)}`);
    for (const [inner, innerValue] of Object.entries(rest)) appendField(fields, `${key}.${inner}`, innerValue, depth + 1);
    return;
  }
  if (isPlainObject(value) && depth < MAX_DEPTH && Object.keys(value).length > 0) {
    for (const [inner, innerValue] of Object.entries(value)) appendField(fields, `${key}.${inner}`, innerValue, depth + 1);
    return;
  }
  fields.push(`${key}=${formatValue(value)}`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return BARE_VALUE.test(value) ? value : escapeControls(JSON.stringify(value));
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorShaped(value: unknown): value is Record<string, unknown> & { message: unknown } {
  return isPlainObject(value) && typeof value['message'] === 'string' && typeof value['stack'] === 'string';
}
