// Fault suite: the disk under the checkpoint fills up (a 2 MB tmpfs). The run stops with exit 1 and says the
// checkpoint write failed, the checkpoint still opens and checks ok, and the same command finishes the job
// once there is room. Needs root and mount(2); skipped with the reason where the sandbox forbids it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countByStatus, doneIds, doneWithoutResponse, finish, integrity, requestsTagged, runRows, tagArgs } from '../helpers/chaos.js';
import { spawnCli } from '../helpers/cli.js';
import { idOfRequest, tempDir, writePrompts } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';

let server: FaultServer;
let work: string;
const mounts: string[] = [];
let cannotMount: string | undefined;

/** A chat completion with an 8 KB answer: a few hundred of them fill 2 MB. */
const bigAnswer = {
  id: 'chatcmpl-big',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'test-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(8192) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2048, total_tokens: 2053 },
};

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  mounts.push(dir);
}

function remount(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'pipe' });
}

beforeAll(async () => {
  server = await startFaultServer({ behaviour: () => ({ status: 200, body: bigAnswer }) });
  work = tempDir('chaos-disk');
  const probe = path.join(work, 'probe');
  fs.mkdirSync(probe);
  try {
    mountTmpfs(probe, '1m');
  } catch (error) {
    cannotMount = `cannot mount a tmpfs here (${String((error as { stderr?: unknown }).stderr ?? error).trim()})`;
  }
});
function unmountAll(): void {
  for (const dir of mounts.splice(0).reverse()) execFileSync('umount', [dir], { stdio: 'pipe' });
}
afterEach(unmountAll);
afterAll(async () => {
  unmountAll();
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const args = (input: string, db: string, tag: string) => [
  'cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'test-model', '--concurrency', '4',
  '--no-progress', '--log-level', 'error', '--json', ...tagArgs(tag),
];

function setUp(name: string, records: number): { input: string; small: string; db: string } {
  const input = path.join(work, `${name}.jsonl`);
  writePrompts(input, records);
  const small = path.join(work, name);
  fs.mkdirSync(small);
  mountTmpfs(small, '2m');
  return { input, small, db: path.join(small, 'ck.memsafe.db') };
}

describe('disk full', () => {
  it('fills mid-run: exit 1 naming the failed checkpoint write, the checkpoint checks ok, and resumes once there is room', async (context) => {
    if (cannotMount !== undefined) context.skip(cannotMount);
    const records = 600;
    const { input, small, db } = setUp('mid-run', records);

    const full = await finish(spawnCli(args(input, db, 'full')));
    expect(full.code, full.stderr).toBe(1);
    expect(full.stderr).toContain(`cannot write the checkpoint ${db}: database or disk is full`);
    expect(full.stderr).toMatch(/Free some disk space .* run the same command again to resume/);
    expect(full.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(JSON.parse(full.stdout)).toMatchObject({ status: 'error', exit_code: 1 });

    expect(integrity(db)).toBe('ok');
    expect(doneWithoutResponse(db)).toEqual([]);
    const committed = doneIds(db);
    expect(committed.size).toBeGreaterThan(0);
    expect(committed.size).toBeLessThan(records);
    expect(runRows(db)).toMatchObject([{ status: 'error', exit_code: 1 }]);

    remount(small, '64m');
    const resumed = await finish(spawnCli(args(input, db, 'resumed')));
    expect(resumed.code, resumed.stderr).toBe(0);
    const resent = requestsTagged(server.requests, 'resumed').filter((request) => committed.has(idOfRequest(request.json) ?? ''));
    expect(resent).toEqual([]);
    expect(countByStatus(db)).toEqual({ done: records, failed: 0 });
    expect(doneWithoutResponse(db)).toEqual([]);
    expect(integrity(db)).toBe('ok');
  });

  it('full before the run starts: exit 1 saying the checkpoint cannot be set up, nothing sent; runs once space is freed', async (context) => {
    if (cannotMount !== undefined) context.skip(cannotMount);
    const records = 50;
    const { input, small, db } = setUp('at-start', records);
    const filler = path.join(small, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      const block = Buffer.alloc(64 * 1024);
      for (;;) fs.writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }

    const full = await finish(spawnCli(args(input, db, 'no-room')));
    expect(full.code, full.stderr).toBe(1);
    expect(full.stderr).toContain(`the checkpoint ${db}: database or disk is full`);
    expect(full.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(requestsTagged(server.requests, 'no-room')).toEqual([]);

    fs.rmSync(filler);
    const resumed = await finish(spawnCli(args(input, db, 'room')));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(countByStatus(db)).toEqual({ done: records, failed: 0 });
    expect(integrity(db)).toBe('ok');
  });
});
