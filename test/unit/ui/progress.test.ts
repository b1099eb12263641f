import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type LogDestination, LogOutput } from '../../../src/ui/log-output.js';
import { type ProgressSnapshot, createProgress } from '../../../src/ui/progress.js';

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return { bytesRead: 0, done: 0, failed: 0, cached: 0, skipped: 0, rssBytes: 1 << 20, batchSize: 32, concurrency: 4, state: 'NORMAL', ...overrides };
}

/** A pino logger writing JSON lines into an array. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** A stream that collects what is written to it; `isTTY` decides whether cli-progress draws on it. */
class CaptureStream extends Writable {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('createProgress', () => {
  it('prints and logs nothing at all when disabled', () => {
    const stream = new CaptureStream(true);
    const { logger, lines } = memoryLogger();
    for (const tty of [true, false]) {
      const progress = createProgress({ stream, tty, enabled: false, totalBytes: 100, logger, intervalMs: 1, now: () => Date.now() });
      for (let i = 0; i < 5; i += 1) progress.update(snapshot({ done: i }));
      progress.stop();
    }
    expect(stream.text).toBe('');
    expect(lines).toEqual([]);
  });

  it('off a terminal, logs a progress line once per interval of the injected clock', () => {
    let now = 0;
    const stream = new CaptureStream(false);
    const { logger, lines } = memoryLogger();
    const progress = createProgress({ stream, tty: false, enabled: true, totalBytes: 10_000, logger, intervalMs: 5000, now: () => now });
    // one update every 500 ms for 12 s, 100 records and 500 bytes per second
    for (now = 500; now <= 12_000; now += 500) progress.update(snapshot({ done: now / 10, bytesRead: now / 2 }));
    progress.stop();
    progress.update(snapshot({ done: 99_999 }));

    expect(stream.text).toBe('');
    expect(lines.map((line) => line.msg)).toEqual(['progress', 'progress']);
    expect(lines[0]).toMatchObject({
      level: 30,
      done: 500,
      failed: 0,
      cached: 0,
      skipped: 0,
      rate: 100,
      rss: 1 << 20,
      batchSize: 32,
      concurrency: 4,
      state: 'NORMAL',
      bytesRead: 2500,
      totalBytes: 10_000,
      percent: 25,
      etaMs: 15_000,
    });
    expect(lines[1]).toMatchObject({ done: 1000, bytesRead: 5000, percent: 50 });
  });

  it('off a terminal, logs nothing before the first update', () => {
    let now = 0;
    const { logger, lines } = memoryLogger();
    const progress = createProgress({ stream: new CaptureStream(false), tty: false, enabled: true, totalBytes: undefined, logger, intervalMs: 10, now: () => now });
    now = 1_000_000;
    progress.stop();
    expect(lines).toEqual([]);
  });

  it('on a terminal, draws the bar and prints log lines above it instead of through the log destination', () => {
    const stream = new CaptureStream(true);
    const written: string[] = [];
    const destination: LogDestination = { write: (line) => written.push(line), flushSync: () => {}, end: () => {} };
    const output = new LogOutput({ destination, sharesTerminal: true, secrets: ['very-secret-key'] });
    const logger = pino({ level: 'info' }, output);

    const progress = createProgress({ stream, tty: true, enabled: true, totalBytes: 1000, logger, logOutput: output });
    progress.update(snapshot({ done: 42, failed: 2, bytesRead: 500 }));
    logger.warn('retrying with very-secret-key');
    expect(written).toEqual([]);
    progress.stop();
    progress.stop();
    logger.info('after the bar');

    expect(stream.text).toContain('retrying with [redacted]');
    expect(stream.text).not.toContain('very-secret-key');
    expect(stream.text).toContain('42 done');
    expect(stream.text).toContain('2 failed');
    expect(stream.text).toContain('50.0%');
    // the log line is printed before the last frame of the bar
    expect(stream.text.indexOf('retrying with')).toBeLessThan(stream.text.lastIndexOf('42 done'));
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('after the bar');
  });

  it('on a terminal, a burst of log lines is printed early instead of piling up until the next frame', () => {
    const stream = new CaptureStream(true);
    const output = new LogOutput({ destination: { write: () => {}, flushSync: () => {}, end: () => {} }, sharesTerminal: true });
    const logger = pino({ level: 'info' }, output);
    const progress = createProgress({ stream, tty: true, enabled: true, totalBytes: undefined, logger, logOutput: output });
    for (let i = 0; i < 200; i += 1) logger.info(`burst ${i}`);
    // without calling stop(): at most one frame's worth of lines is still held
    expect(stream.text).toContain('"burst 127"');
    progress.stop();
    expect(stream.text).toContain('"burst 199"');
  });
});
