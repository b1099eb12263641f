// --restarts N: run the engine in a worker process and start a fresh one when it halts at the memory breaker
// or is killed by the kernel's OOM killer. RSS rarely falls after a garbage collection, so a new process is the
// reliable way to give memory back. This process stays small: it loads no HTTP, SQLite or logging modules.
import { fork } from 'node:child_process';
import tty from 'node:tty';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../errors.js';
import { colorAllowed, humanLogFormatter, logFormat } from '../ui/human-log.js';
import { DEADLINE_ENV, RESTART_REASON_ENV, WORKER_ENV, type WorkerMessage } from './worker-channel.js';

export interface SupervisorOptions {
  readonly restarts: number;
  readonly maxRuntimeMs: number | undefined;
  readonly json: boolean;
  readonly logLevel: string;
}

interface WorkerEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly result: Extract<WorkerMessage, { type: 'result' }> | undefined;
  readonly lastRss: number;
}

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export async function supervise(argv: readonly string[], options: SupervisorOptions): Promise<number> {
  const deadline = options.maxRuntimeMs === undefined ? undefined : Date.now() + options.maxRuntimeMs;
  let current: ReturnType<typeof fork> | undefined;
  let stopping: NodeJS.Signals | undefined;
  // A terminal's Ctrl-C reaches only us (the worker has its own process group): forward it exactly once.
  const forward = (signal: NodeJS.Signals) => {
    stopping ??= signal;
    current?.kill(signal);
  };
  const onInt = () => forward('SIGINT');
  const onTerm = () => forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let previousEnd: 'oom' | 'breaker' | undefined;
  try {
    for (let restart = 0; ; restart++) {
      const child = fork(MAIN, argv, {
        env: {
          ...process.env,
          [WORKER_ENV]: '1',
          ...(deadline === undefined ? {} : { [DEADLINE_ENV]: String(deadline) }),
          ...(previousEnd === undefined ? {} : { [RESTART_REASON_ENV]: previousEnd }),
        },
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
        detached: true,
      });
      current = child;
      const end = await watch(child);
      current = undefined;
      const oomKilled = end.signal === 'SIGKILL' && stopping === undefined;
      const breaker = end.result?.stopReason === 'breaker';
      const again = (oomKilled || breaker) && stopping === undefined && restart < options.restarts;
      if (!again) {
        if (options.json && end.result?.summary != null) {
          process.stdout.write(`${JSON.stringify({ ...end.result.summary, restarts: restart })}\n`);
        }
        if (oomKilled || breaker) log(options, 50, `restarts used up (${options.restarts}): run the same command again to resume`, { restarts: restart });
        return exitCodeOf(end, oomKilled || breaker);
      }
      previousEnd = oomKilled ? 'oom' : 'breaker';
      const rss = breaker ? (end.result?.rss ?? end.lastRss) : end.lastRss;
      log(options, 40, oomKilled ? 'worker was killed (SIGKILL: the OOM killer?); starting a fresh one' : 'worker halted at the memory breaker; starting a fresh one', {
        restart: restart + 1,
        of: options.restarts,
        rss,
        pid: child.pid,
      });
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

async function watch(child: ReturnType<typeof fork>): Promise<WorkerEnd> {
  let result: WorkerEnd['result'];
  let lastRss = 0;
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'memory') lastRss = message.rss;
    else if (message.type === 'result') result = message;
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  return { code, signal, result, lastRss };
}

function exitCodeOf(end: WorkerEnd, haltedForMemory: boolean): number {
  if (haltedForMemory) return ExitCode.halted;
  if (end.code !== null) return end.code;
  return end.signal === 'SIGINT' ? ExitCode.sigint : end.signal === 'SIGTERM' ? ExitCode.sigterm : ExitCode.fatal;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A pino-shaped line on stderr, so the supervisor's lines sit with the worker's in one log stream. */
function log(options: SupervisorOptions, level: number, msg: string, fields: Record<string, unknown>): void {
  if (level < (LEVELS[options.logLevel] ?? 30)) return;
  const line = `${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, role: 'supervisor', ...fields, msg })}\n`;
  // On a terminal the worker writes human lines (ui/logger.ts); the supervisor's match them.
  const human = logFormat({ toFile: false, json: options.json, tty: tty.isatty(2) }) === 'human';
  process.stderr.write(human ? humanLogFormatter({ color: colorAllowed(process.env) })(line) : line);
}
