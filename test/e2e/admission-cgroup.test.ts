// Issue 11 in a real 512 MB memory cgroup: 6 MB answers at --concurrency 64 with --restarts 3 used to be
// OOM-killed within seconds, and every fresh worker ramped straight back to 64 in flight.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/checkpoint.js';
import { BIN, cleanEnv, collect } from '../helpers/cli.js';
import { inexactRecords, startBigAnswerServer } from '../helpers/big-answers.js';
import { makeMemoryCgroup, probeMemoryCgroup, type TestMemoryCgroup } from '../helpers/memory-cgroup.js';
import { useTestWork } from '../helpers/test-work.js';

const MB = 1024 * 1024;
const RECORDS = 50;
const probe = probeMemoryCgroup();
const work = useTestWork('admission-cgroup');

const made: TestMemoryCgroup[] = [];
afterEach(async () => {
  for (const cgroup of made.splice(0)) await cgroup.remove();
});

describe.skipIf(!probe.ok)(`memory admission in a 512 MB cgroup (${probe.ok ? `v${probe.version}` : probe.reason})`, () => {
  for (const chunked of [false, true]) {
    it(`6 MB answers${chunked ? ' (chunked, no content-length)' : ''} at --concurrency 64 --restarts 3: no OOM kill, all exact`, async () => {
      // guards: issue 11, "a real 512 MB container kills it" (exit 137, five OOM kills, 13 of 2,000 done)
      const result = makeMemoryCgroup({ limitBytes: 512 * MB });
      if (!result.ok) throw new Error(result.reason);
      const cgroup = result.cgroup;
      made.push(cgroup);
      const { server, sent } = await startBigAnswerServer({ bytesOf: () => 6 * MB, chunked });
      work.track(server);
      const input = path.join(work.dir, 'in.jsonl');
      const db = path.join(work.dir, 'out.db');
      writePrompts(input, RECORDS);
      const args = [
        'cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'm', '--concurrency', '64',
        '--restarts', '3', '--no-progress', '--log-level', 'warn', '--json',
      ];
      const run = await collect(cgroup.spawn(process.execPath, [BIN, ...args], { env: cleanEnv({ OPENAI_API_KEY: 'sk-test' }), stdio: ['pipe', 'pipe', 'pipe'] }));
      expect(cgroup.oomKills(), run.stderr).toBe(0);
      expect(run.code, run.stderr).toBe(0);
      const ids = Array.from({ length: RECORDS }, (_, i) => `r${i}`);
      expect(inexactRecords(db, sent, ids)).toEqual([]);
    }, 60_000);
  }
});
