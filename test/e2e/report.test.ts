// `memsafe report` end to end: the built CLI turns a checkpoint's samples into a self-contained HTML page.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeCheckpoint } from '../unit/monitor/report-fixture.js';
import { findAll, parseXml, polylinePointCount } from '../unit/monitor/xml-check.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/memsafe.js');
const WORK = tempDir();
afterAll(() => fs.rmSync(WORK, { recursive: true, force: true }));

function report(args: readonly string[]) {
  const result = spawnSync(process.execPath, [CLI, 'report', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const stateAt = (index: number) => (index >= 10 && index < 20 ? 'CAUTIOUS' : index >= 20 && index < 25 ? 'BREAKER' : 'NORMAL');

describe('memsafe report', () => {
  it("renders every run's memory, governor state, batch size, breaker trips and throughput", () => {
    const db = writeCheckpoint(WORK, [{ samples: 40, stateAt, trips: [20] }, { samples: 15 }]);
    const out = path.join(WORK, 'report.html');
    const result = report(['--db', db, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('wrote');
    expect(result.stdout).toBe('');
    const html = fs.readFileSync(out, 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    const page = parseXml(html);
    const svgs = findAll(page, 'svg');
    expect(svgs.map((svg) => findAll(svg, 'title')[0]?.text)).toEqual([
      'Run 1: memory (40 samples)',
      'Run 1: batch size and concurrency',
      'Run 1: throughput (records/s)',
      'Run 2: memory (15 samples)',
      'Run 2: batch size and concurrency',
      'Run 2: throughput (records/s)',
    ]);
    const rss = findAll(page, 'polyline').filter((line) => line.attributes.get('data-series') === 'RSS');
    expect(rss.map((line) => polylinePointCount(line))).toEqual([40, 15]);
    const trips = findAll(svgs[0] ?? page, 'line').filter((line) => line.attributes.get('data-label')?.startsWith('breaker_trip'));
    expect(trips).toHaveLength(1);
    expect(findAll(svgs[0] ?? page, 'rect').filter((rect) => rect.attributes.get('class') === 'band')).toHaveLength(2);
  });

  it('draws only the latest --runs', () => {
    const db = writeCheckpoint(tempDirIn(WORK, 'runs'), [{ samples: 3 }, { samples: 3 }, { samples: 3 }]);
    const out = path.join(WORK, 'latest.html');
    expect(report(['--db', db, '--out', out, '--runs', '1']).code).toBe(0);
    const titles = findAll(parseXml(fs.readFileSync(out, 'utf8')), 'svg').map((svg) => findAll(svg, 'title')[0]?.text);
    expect(titles).toEqual(['Run 3: memory (3 samples)', 'Run 3: batch size and concurrency', 'Run 3: throughput (records/s)']);
  });

  it.each([
    [['--out', 'x.html'], /required option '--db <file>' not specified/],
    [['--db', '/nonexistent/run.memsafe.db', '--out', 'x.html'], /Checkpoint not found/],
    [['--db', 'x.db', '--out', 'x.html', '--runs', '0'], /Expected `--runs` to be an integer >= 1, got `0`/],
  ])('refuses %j with exit 2', (args, message) => {
    const result = report(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

function tempDirIn(parent: string, name: string): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir);
  return dir;
}
