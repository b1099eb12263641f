// The watched process: a running pid, or a command started here in its own process group.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { UsageError } from '../errors.js';
import { processLiveness } from './process-tree.js';

export interface Target {
  readonly pid: number;
  /** A command this monitor started (its exit code becomes ours). */
  readonly started: boolean;
  readonly label: string | undefined;
  /** Signals the process; for a started command, its whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** A started command's exit code (128 + signal number when a signal ended it); undefined for --pid. */
  readonly exited: Promise<number> | undefined;
}

/** A pid that does not exist, or that --action could not signal, is a usage error (exit 2). */
export function attachPid(pid: number, mustSignal: boolean): Target {
  const liveness = processLiveness(pid);
  if (liveness === 'gone') {
    throw new UsageError(`No running process has pid ${pid}`, { code: 'MS_MONITOR_NO_PROCESS', hint: 'Check the pid with `ps -p PID`.' });
  }
  if (liveness === 'not-permitted') {
    // e.g. /proc mounted with hidepid: the process exists but its memory cannot be read by this user
    throw new UsageError(`Process ${pid} belongs to another user: memsafe cannot read its memory`, {
      code: 'MS_MONITOR_NOT_PERMITTED',
      hint: 'Run memsafe as that user (or as root).',
    });
  }
  if (mustSignal && !canSignal(pid)) {
    throw new UsageError(`Process ${pid} belongs to another user: memsafe cannot signal it for --action`, {
      code: 'MS_MONITOR_NOT_PERMITTED',
      hint: 'Run memsafe as that user, or watch without a guard (--action none).',
    });
  }
  return {
    pid,
    started: false,
    label: undefined,
    exited: undefined,
    signal(signal) {
      sendSignal(pid, signal);
    },
  };
}

function canSignal(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // it has gone already: nothing to do
  }
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : os.constants.signals[signal];
  return 128 + (number ?? 0);
}

/**
 * Starts CMD with the terminal passed through, in its own process group (detached) so a guard action or a
 * forwarded Ctrl-C reaches the command and everything it started, and the monitor decides when to forward.
 */
export async function startCommand(argv: readonly string[]): Promise<Target> {
  const [command, ...args] = argv;
  if (command === undefined || command === '') throw new UsageError('Give a command after `--`, or a --pid to watch', { code: 'MS_MONITOR_NO_TARGET' });
  const child = spawn(command, args, { stdio: 'inherit', detached: true });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'command not found' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new UsageError(`Cannot start \`${command}\`: ${why}`, { code: 'MS_MONITOR_SPAWN', cause: error }));
    });
  });
  child.on('error', () => {}); // after the start only a failed kill() could emit, and signals go through process.kill
  const pid = child.pid as number;
  return {
    pid,
    started: true,
    // The command name only: arguments may carry secrets (an --api-key), and the label is shown on screen.
    label: command,
    exited,
    signal(signal) {
      sendSignal(-pid, signal);
    },
  };
}
