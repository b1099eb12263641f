import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { JsonLinesFile, JsonLinesStdout, eventRecord, sampleRecord, summaryRecord } from '../../../src/monitor/json-lines.js';
import type { Sample } from '../../../src/monitor/sample.js';
import { SummaryAccumulator, formatSummary } from '../../../src/monitor/summary.js';

const MB = 1024 * 1024;

const bare: Sample = { t: 1000, pid: 7, rssBytes: 10 * MB, cpu: 1.5, procs: 1 };

describe('JSON records', () => {
  it('writes a sample with only the fields it has', () => {
    expect(sampleRecord(bare)).toEqual({ type: 'sample', t: 1000, pid: 7, rss_bytes: 10 * MB, cpu: 1.5, procs: 1 });
  });

  it('adds the cgroup, PSI and GPU fields when present', () => {
    const record = sampleRecord({
      ...bare,
      cgroup: { version: 1, currentBytes: 30, workingSetBytes: 20, peakBytes: 40, limitBytes: 100, events: { high: 1, max: 2, oom: 3, oomKill: 4 } },
      pressure: { someAvg10: 0.5, fullAvg10: undefined, scope: 'system' },
      gpuBytes: null,
    });
    expect(record).toMatchObject({
      cgroup_version: 1,
      cgroup_current_bytes: 30,
      cgroup_peak_bytes: 40,
      cgroup_working_set_bytes: 20,
      cgroup_limit_bytes: 100,
      cgroup_high_events: 1,
      cgroup_max_events: 2,
      cgroup_oom_kills: 4,
      psi_some_avg10: 0.5,
      psi_scope: 'system',
      gpu_bytes: null,
    });
    expect(record).not.toHaveProperty('psi_full_avg10');
  });

  it('writes an event with its reading and detail', () => {
    expect(eventRecord({ t: 5, kind: 'action', message: 'sent SIGTERM', rssBytes: 9, detail: { signal: 'SIGTERM' } })).toEqual({
      type: 'event',
      t: 5,
      kind: 'action',
      message: 'sent SIGTERM',
      rss_bytes: 9,
      signal: 'SIGTERM',
    });
  });

  it('summarises with running totals', () => {
    const totals = new SummaryAccumulator();
    for (const rss of [10, 30, 20]) totals.addSample({ ...bare, rssBytes: rss * MB, gpuBytes: rss });
    totals.countWarning();
    totals.countAction();
    const summary = totals.finish({
      pid: 7,
      startedAt: 0,
      endedAt: 3000,
      trend: { floors: 6, samples: 60, mbPerMinute: 1.234, leakSuspected: true, forecastMs: 1234.5, climbing: false },
      reason: 'guard_terminated',
      exitCode: 75,
    });
    expect(summaryRecord(summary)).toEqual({
      type: 'summary',
      pid: 7,
      samples: 3,
      started_at: 0,
      ended_at: 3000,
      peak_bytes: 30 * MB,
      mean_bytes: 20 * MB,
      end_bytes: 20 * MB,
      peak_gpu_bytes: 30,
      trend_mb_per_min: 1.23,
      leak_suspected: true,
      climbing: false,
      forecast_ms: 1235,
      warnings: 1,
      actions: 1,
      reason: 'guard_terminated',
      exit_code: 75,
    });
    expect(formatSummary(summary)).toContain('the guard terminated the process at --max (exit 75)');
  });
});

describe('JsonLinesStdout', () => {
  it('drops sample lines, never events, once a reader falls a megabyte behind', () => {
    const stream = new PassThrough({ highWaterMark: 16 }); // nobody reads it
    const out = new JsonLinesStdout(stream);
    const big = { ...sampleRecord(bare), note: 'x'.repeat(64 * 1024) };
    for (let index = 0; index < 40; index++) out.write(big);
    expect(out.dropped).toBeGreaterThan(0);
    const before = stream.writableLength;
    out.write(eventRecord({ t: 1, kind: 'warn', message: 'still written' }));
    expect(stream.writableLength).toBeGreaterThan(before);
    expect(stream.writableLength).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('JsonLinesFile', () => {
  it('writes one JSON object per line as they come', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-log-'));
    try {
      const file = path.join(dir, 'watch.jsonl');
      const log = new JsonLinesFile(file);
      log.write(sampleRecord(bare));
      expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(2); // written before close
      log.write(eventRecord({ t: 2, kind: 'warn', message: 'w' }));
      log.close();
      log.close();
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
      expect(lines.map((line) => line.type)).toEqual(['sample', 'event']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path it cannot write, as a usage error', () => {
    expect(() => new JsonLinesFile('/nonexistent-dir/watch.jsonl')).toThrow(UsageError);
  });
});
