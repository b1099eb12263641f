import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { attachPid, exitCodeOf, startCommand } from '../../../src/monitor/target.js';

describe('exitCodeOf', () => {
  it.each([
    [0, null, 0],
    [7, null, 7],
    [null, 'SIGTERM', 143],
    [null, 'SIGINT', 130],
    [null, 'SIGKILL', 137],
  ] as const)('code %j, signal %j -> %d', (code, signal, expected) => {
    expect(exitCodeOf(code, signal)).toBe(expected);
  });
});

describe('attachPid', () => {
  it('refuses a pid that does not exist', () => {
    expect(() => attachPid(4_194_303, false)).toThrow(UsageError);
    expect(() => attachPid(4_194_303, false)).toThrow(/No running process has pid 4194303/);
  });

  it('attaches to a live process', () => {
    expect(attachPid(process.pid, true)).toMatchObject({ pid: process.pid, started: false, exited: undefined });
  });
});

/** Whether every process of the group has gone (the grandchild is reaped by init a moment after it dies). */
async function groupGone(group: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      process.kill(group, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('startCommand', () => {
  it('refuses a command that does not exist, as a usage error', async () => {
    await expect(startCommand(['memsafe-no-such-command-xyz'])).rejects.toThrow(/Cannot start `memsafe-no-such-command-xyz`: command not found/);
  });

  it("returns the command's exit code, and 128 + signal when a signal ended it", async () => {
    const exits = await startCommand([process.execPath, '-e', 'process.exit(7)']);
    expect(await exits.exited).toBe(7);
    const sleeper = await startCommand([process.execPath, '-e', 'setTimeout(() => {}, 30000)']);
    expect(sleeper.label).toBe(process.execPath);
    sleeper.signal('SIGTERM');
    expect(await sleeper.exited).toBe(143);
  });

  it('signals the whole process group it started', async () => {
    // the command starts a grandchild in its own group; SIGTERM to the group ends both, so the command exits
    const script = "require('node:child_process').spawn(process.execPath,['-e','setTimeout(()=>{},30000)'],{stdio:'ignore'});setTimeout(()=>{},30000)";
    const target = await startCommand([process.execPath, '-e', script]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    target.signal('SIGTERM');
    expect(await target.exited).toBe(143);
    expect(await groupGone(-target.pid)).toBe(true); // the grandchild got the signal too
  });
});
