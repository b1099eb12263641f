// A checkpoint written by the previous schema (2) is read by status as it is, and a run migrates it and resumes.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/checkpoint/schema.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('upgrade');

const args = (input: string, db: string, url: string) => [
  'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'embed-test', '--concurrency', '2',
  '--batch-size', '16', '--no-progress', '--log-level', 'warn', '--json',
];

const writeTexts = (file: string, count: number) =>
  fs.writeFileSync(file, `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: `t${i}`, text: `text ${i}` })).join('\n')}\n`);

/** Schema 3 added vector_models and dropped vectors_model_dim, the cost schema columns and run_costs, the batch schema its tables, the batch budget its reserved_usd column: undoing that leaves what schema 2 wrote. */
function downgradeToSchemaTwo(file: string): void {
  const db = new Database(file);
  db.exec('ALTER TABLE batch_members DROP COLUMN reserved_usd;');
  db.exec('ALTER TABLE runs DROP COLUMN rate_limited; ALTER TABLE runs DROP COLUMN backpressure; ALTER TABLE runs DROP COLUMN learned_rate_rps; ALTER TABLE runs DROP COLUMN held_ms;');
  db.exec("DROP TABLE batch_chunks; DROP TABLE batches; DROP TABLE batch_members; DELETE FROM meta WHERE key = 'checkpoint_id';");
  db.exec('DROP TABLE run_costs; ALTER TABLE records DROP COLUMN model; ALTER TABLE records DROP COLUMN prompt_tokens;');
  db.exec('ALTER TABLE records DROP COLUMN completion_tokens; ALTER TABLE records DROP COLUMN cost_usd;');
  db.exec('CREATE INDEX vectors_model_dim ON vectors(model, dim); DROP TABLE vector_models; PRAGMA user_version = 2;');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const texts = (request: { json: unknown }): string[] => [(request.json as { input: string | string[] }).input].flat();

describe('checkpoint from schema 2', () => {
  it('status reads it unmigrated; a run migrates it, sends only the new texts and keeps the dimension', async () => {
    const input = path.join(work.dir, 'texts.jsonl');
    const db = path.join(work.dir, 'texts.memsafe.db');
    server = work.track(await startFaultServer());
    writeTexts(input, 40);
    const first = await runCli(args(input, db, server.url));
    expect(first.code, first.stderr).toBe(0);
    const dim = query<{ dim: number }>(db, 'SELECT DISTINCT dim FROM vectors')[0]?.dim;
    downgradeToSchemaTwo(db);

    const status = await runCli(['status', '--db', db, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ done: 40, vectors: { count: 40, dims: [dim] } });
    expect(query<{ user_version: number }>(db, 'PRAGMA user_version')[0]?.user_version).toBe(2);

    writeTexts(input, 60);
    const before = server.requests.length;
    const second = await runCli(args(input, db, server.url));
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ records: { done: 20, skipped: 40 } });
    const sent = server.requests.slice(before).flatMap(texts);
    expect(sent.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `text ${i + 40}`).sort());

    expect(query<{ user_version: number }>(db, 'PRAGMA user_version')[0]?.user_version).toBe(MIGRATIONS.length);
    expect(query(db, 'SELECT model, dim FROM vector_models')).toEqual([{ model: 'embed-test', dim }]);
    expect(query(db, "SELECT name FROM sqlite_master WHERE name = 'vectors_model_dim'")).toEqual([]);
    const after = await runCli(['status', '--db', db, '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ done: 60, vectors: { count: 60, dims: [dim] } });
    const exported = await runCli(['export', '--db', db, '--format', 'jsonl']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(60);
  });
});
