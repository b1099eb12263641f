// The run's pino logger: JSON lines to --log-file or stderr (human lines when stderr is a terminal), through a
// LogOutput that scrubs secrets and can hand lines to the progress bar. No transport: a worker thread costs
// 8–18 MB; the human format is a small formatter on the main thread instead.
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import pino from 'pino';
import { LOG_LEVELS } from '../config/run-flags.js';
import { UsageError, errorMessage } from '../errors.js';
import { colorAllowed, humanLogFormatter, logFormat } from './human-log.js';
import { LogOutput } from './log-output.js';
import { REDACTED } from '../redact.js';

export { LOG_LEVELS };
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field names whose values never reach a log line, wherever the object came from. */
const REDACT_PATHS = [
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  '*.apiKey',
  '*.api_key',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["api-key"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers["api-key"]',
  '*.headers["x-api-key"]',
];

export interface LoggerOptions {
  level: LogLevel;
  /** Append JSON lines to this file (created with mode 0600, parent folders too) instead of stderr. */
  file?: string | undefined;
  /** Values to scrub from every line: the API key, --header values. */
  secrets?: readonly string[] | undefined;
  /** --json: JSON lines on stderr even when it is a terminal. */
  json?: boolean | undefined;
  /** stderr is a terminal; by default asked of fd 2. */
  tty?: boolean | undefined;
  /** For NO_COLOR and TERM; process.env by default. */
  env?: NodeJS.ProcessEnv | undefined;
}


export interface RunLogger {
  logger: pino.Logger;
  /** Where lines go; the progress bar diverts it while it draws. */
  output: LogOutput;
  /** Flush synchronously and release the file. Idempotent; safe in a signal handler. */
  close(): void;
}

export function createLogger(options: LoggerOptions): RunLogger {
  const toFile = options.file !== undefined;
  const fd = options.file !== undefined ? openLogFile(options.file) : 2;
  const onTerminal = options.tty ?? tty.isatty(2);
  const human = logFormat({ toFile, json: options.json === true, tty: onTerminal }) === 'human';
  // Synchronous: an async write still in libuv's pool when close() flushes the rest lands after them, or is
  // lost when the process exits. One write(2) per line, as Node writes its own stderr; lines come per event,
  // not per request.
  const destination = pino.destination({ dest: fd, sync: true });
  const output = new LogOutput({
    destination,
    secrets: options.secrets,
    sharesTerminal: !toFile,
    fallbackFd: toFile ? undefined : 2,
    format: human ? humanLogFormatter({ color: colorAllowed(options.env ?? process.env) }) : undefined,
  });
  const logger = pino(
    {
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    output,
  );
  return { logger, output, close: () => output.close() };
}

function openLogFile(file: string): number {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Opened here, synchronously, so a bad path is a usage error now and close() never meets a half-open file.
    return fs.openSync(file, 'a', 0o600);
  } catch (error) {
    throw new UsageError(`Cannot open \`--log-file\` ${file}: ${errorMessage(error)}`, { code: 'MS_LOG_FILE' });
  }
}
