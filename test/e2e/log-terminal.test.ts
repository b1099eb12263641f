// What a person at a terminal sees: log lines as human lines above the progress bar, JSON in --log-file.
// Runs the built CLI in a real terminal (tmux) and reads the screen back.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, cleanEnv } from '../helpers/cli.js';
import { useTestWork } from '../helpers/test-work.js';
import { findTmux, runInTerminal } from '../helpers/tmux.js';

const tmux = findTmux();
const work = useTestWork('terminal');
/** Written as an escape so the patterns below hold no raw control character. */
const ESC = '\\u001b';
const HUMAN_RUN_STARTED = /^\d\d:\d\d:\d\d INFO {2}run started {2}input=fixtures\/prompts\.jsonl checkpoint=\S+ provider=mock baseUrl=http:\/\/127\.0\.0\.1:\d+\/v1 mode=cache$/m;

function cliArgs(extra: string[] = []): string[] {
  const db = path.join(work.dir, 'run.db');
  return [process.execPath, BIN, 'cache', '--input', 'fixtures/prompts.jsonl', '--provider', 'mock', '--mock-latency', '20ms', '--db', db, ...extra];
}

function terminal(env: Record<string, string | undefined>) {
  if (tmux === undefined) throw new Error('unreachable: the tests skip without tmux');
  return { tmux, dir: work.dir, cwd: ROOT, env: cleanEnv({ TERM: 'xterm-256color', ...env }) };
}

// guards: defect 6, raw pino JSON lines printed above the progress bar on a terminal
describe('log lines on a terminal', () => {
  it('are human lines (time, level, message, key fields), above an intact bar, without color under NO_COLOR', async (context) => {
    context.skip(tmux === undefined, 'tmux is not installed (needed to run the CLI in a real terminal)');
    const run = await runInTerminal(cliArgs(), terminal({ NO_COLOR: '1' }));
    expect(run.exitCode, run.screen).toBe(0);
    expect(run.screen).toMatch(HUMAN_RUN_STARTED);
    expect(run.screen).not.toContain('{"level"');
    // the bar is drawn on a line of its own, never glued to a log line
    const barLines = run.screen.split('\n').filter((line) => line.includes('█'));
    expect(barLines.length, run.screen).toBeGreaterThan(0);
    for (const line of barLines) expect(line).toMatch(/^\[[█░]+\] \d+\.\d%/);
    expect(run.screen).toMatch(/^memsafe: done after/m);
    expect(run.colored).not.toMatch(new RegExp(`${ESC}\\[[0-9;]*m(INFO|WARN)`));
  });

  it('color the level when NO_COLOR is unset', async (context) => {
    context.skip(tmux === undefined, 'tmux is not installed (needed to run the CLI in a real terminal)');
    const run = await runInTerminal(cliArgs(['--no-progress']), terminal({ NO_COLOR: undefined }));
    expect(run.exitCode, run.screen).toBe(0);
    expect(run.colored).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${ESC}\\[32mINFO {1,2}${ESC}\\[[0-9;]*m {1,2}run started`));
  });

  it('stay JSON in --log-file, and nothing but the bar and the summary reaches the screen', async (context) => {
    context.skip(tmux === undefined, 'tmux is not installed (needed to run the CLI in a real terminal)');
    const logFile = path.join(work.dir, 'run.log');
    const run = await runInTerminal(cliArgs(['--log-file', logFile]), terminal({ NO_COLOR: '1' }));
    expect(run.exitCode, run.screen).toBe(0);
    expect(run.screen).not.toMatch(/run started/);
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'run started', provider: 'mock' });
  });
});
