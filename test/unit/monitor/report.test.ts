import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { UsageError } from '../../../src/errors.js';
import type { MemorySample } from '../../../src/checkpoint/run-log.js';
import { mergeRunPoints, readReportData } from '../../../src/monitor/report-data.js';
import { renderReport, runReport, stateBands, throughputOf } from '../../../src/monitor/report.js';
import { MB, tempDir, writeCheckpoint } from './report-fixture.js';
import { findAll, parseXml, polylinePointCount } from './xml-check.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function dir(): string {
  const created = tempDir();
  dirs.push(created);
  return created;
}

const cautiousThenBreaker = (index: number) => (index >= 20 && index < 30 ? 'CAUTIOUS' : index >= 30 && index < 35 ? 'BREAKER' : 'NORMAL');

describe('readReportData', () => {
  it('reads the latest runs, oldest first, with their samples and events', () => {
    const file = writeCheckpoint(dir(), [{ samples: 10 }, { samples: 40, stateAt: cautiousThenBreaker, trips: [30] }, { samples: 5 }]);
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      const data = readReportData(db, 2);
      expect(data.totalRuns).toBe(3);
      expect(data.runs.map((run) => run.run.id)).toEqual([2, 3]);
      const [second] = data.runs;
      expect(second?.sampleCount).toBe(40);
      expect(second?.points).toHaveLength(40);
      expect(second?.events.map((event) => event.kind)).toEqual(['state', 'breaker_trip']);
      expect(second?.run.breakerTrips).toBe(1);
    } finally {
      db.close();
    }
  });

  it('bounds the points of a long run and keeps its peak', () => {
    const file = writeCheckpoint(dir(), [{ samples: 5000 }]);
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      const [run] = readReportData(db, 20).runs;
      expect(run?.sampleCount).toBe(5000);
      expect(run?.points.length).toBeLessThanOrEqual(1500);
      expect(Math.max(...(run?.points ?? []).map((point) => point.rss))).toBe((100 + 4999) * MB);
    } finally {
      db.close();
    }
  });
});

describe('mergeRunPoints', () => {
  it('keeps the peaks, the worse state and the later counters', () => {
    const a: MemorySample = { t: 1, rss: 10, heapUsed: 5, batchSize: 32, concurrency: 4, state: 'BREAKER', done: 100 };
    const b: MemorySample = { t: 2, rss: 8, heapUsed: 6, batchSize: 8, concurrency: 2, state: 'CAUTIOUS', done: 120 };
    expect(mergeRunPoints(a, b)).toEqual({ t: 1, rss: 10, heapUsed: 6, batchSize: 8, concurrency: 2, state: 'BREAKER', done: 120 });
  });
});

describe('renderReport', () => {
  function report(): { html: string; root: ReturnType<typeof parseXml> } {
    const file = writeCheckpoint(dir(), [{ samples: 60, stateAt: cautiousThenBreaker, trips: [30, 33] }, { samples: 12 }]);
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      const html = renderReport(readReportData(db, 20), file);
      return { html, root: parseXml(html) };
    } finally {
      db.close();
    }
  }

  it('is a well-formed, self-contained page with three charts per run', () => {
    const { html, root } = report();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(findAll(root, 'svg')).toHaveLength(6);
  });

  it('draws a point per sample of RSS, and throughput between samples', () => {
    const { root } = report();
    const rss = findAll(root, 'polyline').filter((line) => line.attributes.get('data-series') === 'RSS');
    expect(rss.map((line) => polylinePointCount(line))).toEqual([60, 12]);
    const throughput = findAll(root, 'polyline').filter((line) => line.attributes.get('data-series') === 'records/s');
    expect(throughput.map((line) => polylinePointCount(line))).toEqual([59, 11]);
  });

  it('marks breaker trips and shades the governor states', () => {
    const { root } = report();
    const [memory] = findAll(root, 'svg');
    const trips = findAll(memory ?? root, 'line').filter((line) => line.attributes.get('class') === 'marker' && line.attributes.get('data-label')?.startsWith('breaker_trip'));
    expect(trips).toHaveLength(2);
    const bands = findAll(memory ?? root, 'rect').filter((rect) => rect.attributes.get('class') === 'band');
    expect(bands.map((band) => band.attributes.get('data-label'))).toEqual(['CAUTIOUS', 'BREAKER']);
  });

  it('has a cost section (spent over all runs, records per model) only when costs were stored', () => {
    const { html } = report();
    expect(html).not.toContain('<h2>Cost</h2>');
    const spend = {
      usd: 0.75,
      savedUsd: 0,
      byModel: [
        { model: 'gpt-4o', requests: 3, cacheHits: 0, promptTokens: 30, completionTokens: 15, usd: 0.25, savedUsd: null },
        { model: 'llama3', requests: 2, cacheHits: 0, promptTokens: 20, completionTokens: 10, usd: null, savedUsd: null },
      ],
      unpricedModels: ['llama3'],
    };
    const records = [
      { model: 'gpt-4o', records: 3, promptTokens: 30, completionTokens: 15, usd: 0.25 },
      { model: 'llama3', records: 2, promptTokens: 20, completionTokens: 10, usd: null },
    ];
    const costed = renderReport({ runs: [], totalRuns: 0, cost: { total: spend, records, untracked: 4 } }, 'costed.db');
    parseXml(costed);
    expect(costed).toContain('<h2>Cost</h2>');
    expect(costed).toContain('Spent over all runs: $0.75 (gpt-4o $0.25; unpriced: llama3).');
    expect(costed).toContain('<td>gpt-4o</td><td class="num">3</td><td class="num">30</td><td class="num">15</td><td>$0.25</td>');
    expect(costed).toContain('<td>llama3</td><td class="num">2</td><td class="num">20</td><td class="num">10</td><td>unpriced</td>');
    expect(costed).toContain('4 done records were written before costs were stored.');
  });

  it('says so when the checkpoint has no runs', () => {
    const html = renderReport({ runs: [], totalRuns: 0 }, 'empty.db');
    expect(html).toContain('no runs recorded');
    parseXml(html);
  });
});

describe('derived series', () => {
  const base = { run: {} as never, sampleCount: 0, events: [], eventCount: 0 };
  const point = (t: number, done: number, state = 'NORMAL'): MemorySample => ({ t, rss: 0, heapUsed: 0, batchSize: 1, concurrency: 1, state, done });

  it('computes records per second from the done counter', () => {
    expect(throughputOf({ ...base, points: [point(0, 0), point(1000, 10), point(3000, 50), point(3000, 60)] })).toEqual([
      [1000, 10],
      [3000, 20],
    ]);
  });

  it('finds the spans of each non-normal state', () => {
    const points = [point(0, 0), point(1, 0, 'CAUTIOUS'), point(2, 0, 'CAUTIOUS'), point(3, 0, 'BREAKER'), point(4, 0), point(5, 0, 'CAUTIOUS')];
    expect(stateBands({ ...base, points }).map((band) => [band.label, band.from, band.to])).toEqual([
      ['CAUTIOUS', 1, 3],
      ['BREAKER', 3, 4],
    ]);
  });
});

describe('runReport', () => {
  it('writes the page and says what it drew', () => {
    const work = dir();
    const file = writeCheckpoint(work, [{ samples: 3 }]);
    const out = path.join(work, 'report.html');
    const stderr = new PassThrough();
    expect(runReport({ db: file, out, runs: 20 }, stderr)).toBe(0);
    parseXml(fs.readFileSync(out, 'utf8'));
    expect(String(stderr.read())).toContain('1 of 1 runs, 3 samples');
  });

  it('refuses a checkpoint that does not exist', () => {
    expect(() => runReport({ db: path.join(dir(), 'missing.db'), out: 'x.html', runs: 1 })).toThrow(UsageError);
  });
});
