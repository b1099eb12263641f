// Runs a command in a real terminal (a private, detached tmux server) and returns what a person would see:
// the screen and its scrollback, optionally with the colors. Nothing is polled: the pane signals a tmux
// channel when the command is done, and the test waits on that channel.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The tmux binary on PATH, or undefined (the caller skips, saying so). */
export function findTmux(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'tmux');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface TerminalRun {
  /** The pane's text, scrollback included, trailing blank lines dropped. */
  readonly screen: string;
  /** The same with SGR escapes (colors) kept. */
  readonly colored: string;
  /** The command's exit code, or undefined when it did not finish in time. */
  readonly exitCode: number | undefined;
}

export interface TerminalOptions {
  readonly tmux: string;
  /** Holds the tmux socket. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly width?: number;
  readonly height?: number;
  readonly timeoutMs?: number;
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

export async function runInTerminal(argv: readonly string[], options: TerminalOptions): Promise<TerminalRun> {
  const socket = path.join(options.dir, 'tmux.sock');
  const tmux = (...args: string[]) => run(options.tmux, ['-S', socket, ...args], { env: options.env, cwd: options.cwd });
  // The shell reports the exit code, signals `done`, then waits on `end` so the pane outlives the command.
  const script = [
    `${argv.map(quote).join(' ')}`,
    'echo "exit-code=$?"',
    `${quote(options.tmux)} -S ${quote(socket)} wait-for -S done`,
    `${quote(options.tmux)} -S ${quote(socket)} wait-for end`,
  ].join('; ');
  const size = [String(options.width ?? 200), String(options.height ?? 50)];
  await tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'run', '-x', size[0]!, '-y', size[1]!, '-c', options.cwd, script);
  try {
    await run(options.tmux, ['-S', socket, 'wait-for', 'done'], { env: options.env, timeout: options.timeoutMs ?? 45_000 }).catch(() => undefined);
    const capture = async (...flags: string[]) =>
      (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'run', ...flags)).stdout.replace(/\n+$/, '\n');
    const screen = await capture();
    const colored = await capture('-e');
    const code = /^exit-code=(\d+)$/m.exec(screen)?.[1];
    return { screen, colored, exitCode: code === undefined ? undefined : Number(code) };
  } finally {
    await tmux('kill-server').catch(() => undefined);
  }
}
