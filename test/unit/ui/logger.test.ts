import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { logFormat } from '../../../src/ui/human-log.js';
import { createLogger } from '../../../src/ui/logger.js';
import { blockThreadpool, canBlockThreadpool } from '../../helpers/busy-threadpool.js';

const KEY = 'sk-live-9f8e7d6c5b4a3210';
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-logger-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function readLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('never writes the API key: not in redacted fields, not inside messages or errors', () => {
    const file = path.join(dir, 'run.log');
    const { logger, close } = createLogger({ level: 'info', file, secrets: [KEY, 'Bearer other-token-value'] });
    logger.info({ apiKey: KEY, headers: { authorization: `Bearer ${KEY}`, 'api-key': KEY } }, 'request');
    logger.info({ provider: { apiKey: 'field-only-secret', baseUrl: 'http://127.0.0.1' } }, 'nested');
    logger.error({ err: new Error(`401 Unauthorized: incorrect API key provided: ${KEY}`) }, 'call failed');
    logger.warn(`upstream echoed ${KEY} and other-token-value`);
    close();

    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('field-only-secret');
    expect(text).not.toContain('other-token-value');
    const [request, nested, failed, warned] = readLines(file);
    expect(request).toMatchObject({
      msg: 'request',
      apiKey: '[redacted]',
      headers: { authorization: '[redacted]', 'api-key': '[redacted]' },
    });
    expect(nested).toMatchObject({ provider: { apiKey: '[redacted]', baseUrl: 'http://127.0.0.1' } });
    expect(failed).toMatchObject({ level: 50, err: { message: '401 Unauthorized: incorrect API key provided: [redacted]' } });
    expect(warned).toMatchObject({ msg: 'upstream echoed [redacted] and [redacted]' });
  });

  it('writes only lines at or above the level', () => {
    const file = path.join(dir, 'level.log');
    const { logger, close } = createLogger({ level: 'warn', file });
    logger.info('hidden');
    logger.debug('hidden too');
    logger.warn('shown');
    close();
    expect(readLines(file).map((line) => line.msg)).toEqual(['shown']);
  });

  it('writes nothing when silent', () => {
    const file = path.join(dir, 'silent.log');
    const { logger, close } = createLogger({ level: 'silent', file });
    logger.fatal('nothing');
    close();
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });

  it('creates the log file and its folders with mode 0600, and appends to it', () => {
    const file = path.join(dir, 'nested', 'deeper', 'run.log');
    const first = createLogger({ level: 'info', file });
    first.logger.info('one');
    first.close();
    const second = createLogger({ level: 'info', file });
    second.logger.info('two');
    second.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readLines(file).map((line) => line.msg)).toEqual(['one', 'two']);
  });

  it('close() is idempotent and a line logged after it does not throw', () => {
    const file = path.join(dir, 'closed.log');
    const { logger, close } = createLogger({ level: 'info', file });
    logger.info('before');
    close();
    close();
    expect(() => logger.info('after')).not.toThrow();
    expect(readLines(file).map((line) => line.msg)).toEqual(['before']);
  });

  // guards: a line missing from --log-file at close. An async write still queued in libuv's pool when close()
  // flushed the rest landed after it, or never (the process exits): the file read as `nested` first.
  it.skipIf(!canBlockThreadpool())('has every line, in order, the moment close() returns, however busy the machine', async () => {
    const file = path.join(dir, 'busy.log');
    const { logger, close } = createLogger({ level: 'info', file });
    const pool = blockThreadpool(dir); // no async fs call can complete now
    try {
      logger.info('request');
      logger.info('nested');
      logger.warn('last');
      close();
      expect(readLines(file).map((line) => line.msg)).toEqual(['request', 'nested', 'last']);
    } finally {
      await pool.release();
    }
    expect(readLines(file).map((line) => line.msg)).toEqual(['request', 'nested', 'last']); // nothing lands late either
  });

  it('reports a log file it cannot open as a usage error naming --log-file', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const attempt = () => createLogger({ level: 'info', file: path.join(blocker, 'run.log') });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/--log-file/);
  });
});

// guards: JSON stays for --log-file, off a terminal and with --json; human lines only for a person at a terminal
describe('logFormat', () => {
  it.each([
    [{ toFile: false, json: false, tty: true }, 'human'],
    [{ toFile: false, json: false, tty: false }, 'json'],
    [{ toFile: false, json: true, tty: true }, 'json'],
    [{ toFile: true, json: false, tty: true }, 'json'],
    [{ toFile: true, json: true, tty: false }, 'json'],
  ] as const)('%o -> %s', (options, expected) => {
    expect(logFormat(options)).toBe(expected);
  });

  it('writes JSON lines to --log-file even when stderr is a terminal', () => {
    const file = path.join(dir, 'tty.log');
    const { logger, close } = createLogger({ level: 'info', file, tty: true });
    logger.info({ provider: 'mock' }, 'run started');
    close();
    expect(readLines(file)).toMatchObject([{ level: 30, msg: 'run started', provider: 'mock' }]);
  });
});
