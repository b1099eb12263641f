// Fault suite: checkpoint problems. A checkpoint held by a live run, one that cannot be opened, one that is not
// memsafe's, one that is damaged, and two runs started at the same moment: a clear exit code and message, and
// nothing of the user's overwritten.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countByStatus, finish, integrity, requestsTagged, runRows, tagArgs, waitFor } from '../helpers/chaos.js';
import { BIN, cleanEnv, ROOT, runCli, spawnCli } from '../helpers/cli.js';
import { writePrompts } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer;
const work = useTestWork('chaos-checkpoint');
/** Slow enough that a run started first is still running when the next one looks at the lock. */
let answerMs = 50;
beforeAll(async () => {
  server = await startFaultServer({ behaviour: () => ({ slowMs: answerMs }) });
});
afterAll(async () => {
  await server.close();
});

const args = (input: string, db: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'test-model', '--concurrency', '2',
  '--no-progress', '--log-level', 'warn', ...extra,
];

function input(count = 200): string {
  const file = path.join(work.dir, 'in.jsonl');
  writePrompts(file, count);
  return file;
}

/** Runs memsafe on `db` and expects exit 1, a message naming the file that matches `message`, and `db` unchanged. */
async function expectRefused(db: string, message: RegExp): Promise<string> {
  const before = fs.readFileSync(db);
  const sent = server.requests.length;
  const result = await runCli(args(input(20), db));
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toContain(db);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(fs.readFileSync(db).equals(before), `${db} was changed`).toBe(true);
  expect(server.requests.length, 'requests sent for a refused checkpoint').toBe(sent);
  return result.stderr;
}

/** A finished checkpoint of `count` records, closed, its WAL folded into the main file. */
async function finishedCheckpoint(count: number): Promise<string> {
  const db = path.join(work.dir, 'done.memsafe.db');
  answerMs = 0;
  try {
    const result = await runCli(args(input(count), db, ['--concurrency', '16']));
    expect(result.code, result.stderr).toBe(0);
  } finally {
    answerMs = 50;
  }
  expect(fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0).toBe(0);
  return db;
}

const isRoot = process.getuid?.() === 0;

describe('checkpoint problems', () => {
  it('held by a live run: the second run exits 4 naming the pid, sends nothing and records no run of its own', async () => {
    const file = input();
    const db = path.join(work.dir, 'held.memsafe.db');
    const holder = spawnCli(args(file, db, tagArgs('holder')));
    const holding = finish(holder);
    await waitFor(() => requestsTagged(server.requests, 'holder').length >= 4, 'the first run to start sending');
    const second = await runCli(args(file, db, tagArgs('second')));
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(db);
    expect(second.stderr).toContain(`pid ${holder.pid}`);
    expect(requestsTagged(server.requests, 'second')).toEqual([]);
    holder.kill('SIGINT');
    expect((await holding).code).toBe(130);
    expect(runRows(db)).toEqual([{ status: 'interrupted', exit_code: 130, pid: holder.pid }]);
    expect(integrity(db)).toBe('ok');
  });

  it.skipIf(isRoot)('unreadable (chmod 000): exit 1 naming the file, which is left as it was [skipped as root: root reads a chmod 000 file]', async () => {
    const db = await finishedCheckpoint(20);
    const before = fs.readFileSync(db);
    fs.chmodSync(db, 0o000);
    try {
      const result = await runCli(args(input(20), db));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(db);
      expect(result.stderr).not.toMatch(/unexpected error/);
    } finally {
      fs.chmodSync(db, 0o600);
    }
    expect(fs.readFileSync(db).equals(before)).toBe(true);
  });

  it('unopenable (a directory where the file should be): exit 1 naming it', async () => {
    const db = path.join(work.dir, 'a-directory.db');
    fs.mkdirSync(db);
    const result = await runCli(args(input(20), db));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Cannot open checkpoint ${db}`);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(fs.readdirSync(db)).toEqual([]);
  });

  it('not a memsafe database (text, binary, another application\'s SQLite): exit 1, the file byte-identical, no journal left', async () => {
    const text = path.join(work.dir, 'notes.txt');
    fs.writeFileSync(text, 'my precious notes\n');
    await expectRefused(text, /not a SQLite database/);

    const binary = path.join(work.dir, 'photo.jpg');
    fs.writeFileSync(binary, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 131 + 7) % 256)));
    await expectRefused(binary, /not a SQLite database/);

    const foreign = path.join(work.dir, 'app.sqlite');
    const other = new Database(foreign);
    other.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('app', 'not-memsafe'); PRAGMA user_version = 1;");
    other.close();
    await expectRefused(foreign, /not a memsafe checkpoint; it was left untouched/);
    expect(fs.readdirSync(work.dir).filter((name) => name.startsWith('app.sqlite'))).toEqual(['app.sqlite']);
  });

  it('damaged: truncated, or its header or pages overwritten: exit 1 saying so, never a crash', async () => {
    const db = await finishedCheckpoint(3000);
    const bytes = fs.readFileSync(db);
    const pageSize = bytes.readUInt16BE(16) === 1 ? 65_536 : bytes.readUInt16BE(16);
    const pages = bytes.length / pageSize;
    expect(pages).toBeGreaterThan(20);

    const truncated = path.join(work.dir, 'truncated.db');
    fs.writeFileSync(truncated, bytes.subarray(0, pageSize * Math.floor(pages / 2)));
    await expectRefused(truncated, /is damaged \(database disk image is malformed\)/);

    const header = path.join(work.dir, 'header.db');
    fs.writeFileSync(header, Buffer.concat([Buffer.from('this is no SQLite header!'), bytes.subarray(25)]));
    await expectRefused(header, /not a SQLite database/);

    // Every b-tree page after the first gets an invalid page type: damage SQLite meets on the first read.
    const everyPage = Buffer.from(bytes);
    for (let page = 1; page < pages; page++) everyPage[page * pageSize] = 0xff;
    const smashed = path.join(work.dir, 'smashed.db');
    fs.writeFileSync(smashed, everyPage);
    await expectRefused(smashed, /is damaged/);

    // Only the back half damaged: the run opens it and meets the damage mid-run; it must stop with exit 1 and say so.
    const backHalf = Buffer.from(bytes);
    for (let page = Math.floor(pages / 2); page < pages; page++) backHalf[page * pageSize] = 0xff;
    const halfDamaged = path.join(work.dir, 'half.db');
    fs.writeFileSync(halfDamaged, backHalf);
    const result = await runCli(args(input(3000), halfDamaged));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`Checkpoint ${halfDamaged} is damaged`);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  // guards: two runs opening a new checkpoint together must not both create its tables, nor take its first
  // tables for another application's, nor give up on the switch to WAL
  it('twenty pairs of processes opening one new checkpoint together: one takes the lock, the other is told it is held', async () => {
    const store = pathToFileURL(path.join(ROOT, 'dist', 'checkpoint', 'store.js')).href;
    // Both wait for the same moment (argv[2]), once loaded, so their opens collide within a millisecond or so;
    // the one that takes the lock holds it until the test has heard from both (their stdin ends).
    const opener = `import { CheckpointStore } from ${JSON.stringify(store)};
      while (Date.now() < Number(process.argv[2]));
      const store = CheckpointStore.open(process.argv[1]);
      try { store.lock(); process.stdout.write('locked'); } catch (error) { process.stdout.write(String(error.code)); }
      process.stdin.on('end', () => store.close()).resume();`;
    const start = (db: string, at: number) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', opener, db, String(at)], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      const state = { said: '', stderr: '', exited: false };
      child.stdout.setEncoding('utf8').on('data', (text: string) => (state.said += text));
      child.stderr.setEncoding('utf8').on('data', (text: string) => (state.stderr += text));
      child.once('close', () => (state.exited = true));
      return { child, state };
    };
    for (let round = 0; round < 20; round++) {
      const db = path.join(work.dir, `pair-${round}.db`);
      const at = Date.now() + 250;
      const pair = [start(db, at), start(db, at)];
      try {
        await waitFor(() => pair.every(({ state }) => state.said !== '' || state.exited), `round ${round}: both processes to open the checkpoint`, 20_000);
      } finally {
        for (const { child } of pair) child.stdin.end();
      }
      await waitFor(() => pair.every(({ state }) => state.exited), `round ${round}: both processes to exit`, 20_000);
      expect(pair.map(({ state }) => state.said).sort(), `round ${round}: ${pair.map(({ state }) => state.stderr).join('\n')}`).toEqual([
        'MS_CHECKPOINT_LOCKED',
        'locked',
      ]);
    }
  });

  // guards: two runs opening a new checkpoint together must not both create its tables
  it('two runs started at the same moment, on a new and on an existing checkpoint: exactly one writes, the other exits 4', async () => {
    const file = input(400);
    const existing = path.join(work.dir, 'existing.memsafe.db');
    expect((await runCli(args(file, existing, ['--limit', '5']))).code).toBe(0);
    const rounds = [...Array.from({ length: 6 }, (_, i) => path.join(work.dir, `new-${i}.db`)), existing, existing];
    for (const [round, db] of rounds.entries()) {
      const runsBefore = fs.existsSync(db) ? runRows(db).length : 0;
      const tags = [`r${round}a`, `r${round}b`];
      // Both spawned in the same tick, by a plain spawn (no helper work in between).
      const children: ChildProcess[] = tags.map((tag) =>
        spawn(process.execPath, [BIN, ...args(file, db, tagArgs(tag))], {
          env: cleanEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      const results = children.map((child) => finish(child));
      const first = await Promise.race(results.map((result, index) => result.then((value) => ({ index, value }))));
      expect(first.value.code, `round ${round}: the first to exit must be the one refused; ${first.value.stderr}`).toBe(4);
      const winner = children[1 - first.index];
      const winnerTag = tags[1 - first.index] ?? '';
      expect(first.value.stderr).toContain(`pid ${winner?.pid}`);
      await waitFor(() => requestsTagged(server.requests, winnerTag).length > 0, `round ${round}: the run holding the lock to send`);
      winner?.kill('SIGINT');
      const won = await results[1 - first.index];
      expect(won?.code, won?.stderr).toBe(130);
      expect(requestsTagged(server.requests, tags[first.index] ?? '')).toEqual([]);
      const runs = runRows(db);
      expect(runs.slice(runsBefore)).toEqual([{ status: 'interrupted', exit_code: 130, pid: winner?.pid }]);
      expect(integrity(db)).toBe('ok');
      expect(countByStatus(db).failed).toBe(0);
    }
  });
});
