// Progress while a run works: a cli-progress bar when stderr is a terminal, a `progress` log line every few
// seconds when it is not (cron, CI), nothing with --no-progress. While the bar draws, log lines are handed to
// the bar so they print above it instead of breaking it.
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { LogOutput } from './log-output.js';
import { ProgressMeter, type ProgressSnapshot, formatProgressLine, progressLogFields } from './progress-view.js';

export type { ProgressSnapshot } from './progress-view.js';

export interface ProgressOptions {
  /** The terminal the bar draws on (process.stderr). */
  stream: NodeJS.WritableStream;
  /** Draw a bar (stderr is a TTY); otherwise write progress log lines. */
  tty: boolean;
  /** False with --no-progress: nothing at all. */
  enabled: boolean;
  /** Input size for percent and ETA; undefined for stdin. */
  totalBytes: number | undefined;
  logger: Logger;
  /** The logger's output, diverted through the bar while it draws (see createLogger). */
  logOutput?: LogOutput | undefined;
  /** How often a progress log line is written off a terminal. */
  intervalMs?: number | undefined;
  now?: (() => number) | undefined;
}

export interface Progress {
  /** Cheap: call it on every commit; drawing and logging are throttled. */
  update(snapshot: ProgressSnapshot): void;
  /** Draw the last state and give the terminal back. Idempotent; call it before printing the summary. */
  stop(): void;
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;
const FRAMES_PER_SECOND = 5;
/** Log lines held for the bar's next frame before it is drawn early, so a burst of logs cannot pile up. */
const MAX_PENDING_LOG_LINES = 64;

export function createProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return { update: () => {}, stop: () => {} };
  const meter = new ProgressMeter(options.totalBytes, options.now ?? Date.now);
  return options.tty ? startBar(options, meter) : startLogLines(options, meter);
}

function startLogLines(options: ProgressOptions, meter: ProgressMeter): Progress {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  let lastLine = now();
  let observed = false;
  let stopped = false;

  const writeIfDue = (): void => {
    if (stopped || !observed || now() - lastLine < intervalMs) return;
    lastLine = now();
    options.logger.info(progressLogFields(meter.view()), 'progress');
  };
  // Also on a timer, so a run that is stalled (breaker, long Retry-After) still shows it is alive.
  const timer = setInterval(writeIfDue, intervalMs);
  timer.unref();

  return {
    update(snapshot) {
      observed = true;
      meter.observe(snapshot);
      writeIfDue();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function startBar(options: ProgressOptions, meter: ProgressMeter): Progress {
  const multibar = new cliProgress.MultiBar({
    stream: options.stream,
    fps: FRAMES_PER_SECOND,
    format: (_options, params) => formatProgressLine(meter.view(), params.maxWidth - 1),
    // Trim to the terminal width rather than switch wrapping off: a killed run must not leave the terminal changed.
    linewrap: true,
    hideCursor: false,
    // After log lines are printed above it, the bar must be drawn again even if its text did not change.
    forceRedraw: true,
    // The run's own signal handling stops the bar; cli-progress's handler would keep Node from exiting.
    gracefulExit: false,
  });
  // cli-progress re-arms a plain setTimeout every frame; unref it so a forgotten bar cannot keep the process alive.
  const unrefTimer = (): void => {
    (multibar as unknown as { timer?: NodeJS.Timeout | null }).timer?.unref();
  };
  multibar.on('update-post', unrefTimer);

  let pendingLogLines = 0;
  multibar.on('redraw-pre', () => {
    pendingLogLines = 0;
  });
  multibar.create(options.totalBytes ?? 0, 0);
  unrefTimer();

  const restoreLog =
    options.logOutput?.divert({
      write(line) {
        multibar.log(line);
        pendingLogLines += 1;
        if (pendingLogLines >= MAX_PENDING_LOG_LINES) multibar.update();
      },
      flush() {
        if (pendingLogLines > 0) multibar.update();
      },
    }) ?? (() => {});

  let stopped = false;
  return {
    update(snapshot) {
      if (!stopped) meter.observe(snapshot);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        // stop() draws the bar but not the pending log lines; update() prints both.
        multibar.update();
        multibar.stop();
      } finally {
        restoreLog();
      }
    },
  };
}
