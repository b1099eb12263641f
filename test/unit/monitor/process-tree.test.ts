import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listProcesses, parseProcStat, processLiveness, processTree, treeOf } from '../../../src/monitor/process-tree.js';

describe('parseProcStat', () => {
  it.each([
    ['a plain name', '1234 (node) S 1 1234 1234 0 -1', { pid: 1234, ppid: 1, state: 'S' }],
    ['a name with spaces and parentheses', '77 (my (odd) name) R 12 77 77 0 -1', { pid: 77, ppid: 12, state: 'R' }],
    ['a zombie', '9 (sh) Z 8 9 9 0 -1', { pid: 9, ppid: 8, state: 'Z' }],
  ])('reads %s', (_name, text, stat) => {
    expect(parseProcStat(text)).toEqual(stat);
  });

  it.each(['', 'garbage', '12 (x)', 'x (y) S 1'])('refuses %j', (text) => {
    expect(parseProcStat(text)).toBeUndefined();
  });
});

describe('treeOf', () => {
  const table = [
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 12, ppid: 10 },
    { pid: 13, ppid: 12 },
    { pid: 20, ppid: 1 },
  ];
  it.each([
    [10, [10, 11, 12, 13]],
    [12, [12, 13]],
    [13, [13]],
    [99, [99]],
  ])('of %d is %j', (root, tree) => {
    expect(treeOf(root, table)).toEqual(tree);
  });

  it('survives a ppid loop', () => {
    expect(treeOf(5, [{ pid: 5, ppid: 6 }, { pid: 6, ppid: 5 }])).toEqual([5, 6]);
  });
});

describe('a /proc table', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function fakeProc(entries: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-proc-'));
    dirs.push(root);
    for (const [name, stat] of Object.entries(entries)) {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'stat'), stat);
    }
    return root;
  }

  it('lists live processes only (no zombies, no non-process entries)', () => {
    const root = fakeProc({ '100': '100 (a) S 1 0', '101': '101 (b) Z 100 0', '102': '102 (c) R 100 0', self: '5 (x) S 1 0' });
    expect(listProcesses(root)?.map((stat) => stat.pid).sort()).toEqual([100, 102]);
    expect(processTree(100, root)).toEqual([100, 102]);
  });

  it('counts a zombie as gone', () => {
    const root = fakeProc({ '4000000': '4000000 (z) Z 1 0' });
    expect(processLiveness(4_000_000, root)).toBe('gone');
  });

  it('has no tree where there is no /proc', () => {
    expect(listProcesses('/nonexistent-proc')).toBeUndefined();
    expect(processTree(42, '/nonexistent-proc')).toEqual([42]);
  });
});

describe('real processes', () => {
  it.runIf(process.platform === 'linux')('finds a child and its grandchild, and sees them go', async () => {
    const script = "const {spawn}=require('node:child_process');const c=spawn(process.execPath,['-e','setTimeout(()=>{},30000)'],{stdio:'inherit'});console.log(c.pid);setTimeout(()=>{},30000)";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const grandchild = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
      expect(processTree(child.pid as number)).toEqual([child.pid, grandchild]);
      expect(processTree(process.pid)).toEqual(expect.arrayContaining([process.pid, child.pid, grandchild]));
      expect(processLiveness(child.pid as number)).toBe('running');
      process.kill(grandchild, 'SIGKILL');
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(processLiveness(child.pid as number)).toBe('gone');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
