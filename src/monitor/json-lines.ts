// JSON lines for pipes and the --log file: one object per sample, event and summary, snake_case, jq-friendly.
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { MonitorEvent, Sample } from './sample.js';
import type { Summary } from './summary.js';

type JsonValue = string | number | boolean | null;
export type JsonRecord = Record<string, JsonValue>;

export function sampleRecord(sample: Sample): JsonRecord {
  const record: JsonRecord = {
    type: 'sample',
    t: sample.t,
    pid: sample.pid,
    rss_bytes: sample.rssBytes,
    cpu: sample.cpu,
    procs: sample.procs,
  };
  const { cgroup, pressure } = sample;
  if (cgroup !== undefined) {
    record.cgroup_version = cgroup.version;
    if (cgroup.currentBytes !== undefined) record.cgroup_current_bytes = cgroup.currentBytes;
    if (cgroup.workingSetBytes !== undefined) record.cgroup_working_set_bytes = cgroup.workingSetBytes;
    if (cgroup.peakBytes !== undefined) record.cgroup_peak_bytes = cgroup.peakBytes;
    if (cgroup.limitBytes !== undefined) record.cgroup_limit_bytes = cgroup.limitBytes;
    if (cgroup.events !== undefined) {
      record.cgroup_high_events = cgroup.events.high;
      record.cgroup_max_events = cgroup.events.max;
      record.cgroup_oom_kills = cgroup.events.oomKill;
    }
  }
  if (pressure !== undefined) {
    record.psi_some_avg10 = pressure.someAvg10;
    if (pressure.fullAvg10 !== undefined) record.psi_full_avg10 = pressure.fullAvg10;
    record.psi_scope = pressure.scope;
  }
  if (sample.gpuBytes !== undefined) record.gpu_bytes = sample.gpuBytes;
  return record;
}

export function eventRecord(event: MonitorEvent): JsonRecord {
  return {
    type: 'event',
    t: event.t,
    kind: event.kind,
    message: event.message,
    ...(event.rssBytes === undefined ? {} : { rss_bytes: event.rssBytes }),
    ...event.detail,
  };
}

export function summaryRecord(summary: Summary): JsonRecord {
  return {
    type: 'summary',
    pid: summary.pid,
    samples: summary.samples,
    started_at: summary.startedAt,
    ended_at: summary.endedAt,
    peak_bytes: summary.peakBytes,
    mean_bytes: summary.meanBytes,
    end_bytes: summary.endBytes,
    ...(summary.peakGpuBytes === undefined ? {} : { peak_gpu_bytes: summary.peakGpuBytes }),
    trend_mb_per_min: summary.trend.mbPerMinute === undefined ? null : Math.round(summary.trend.mbPerMinute * 100) / 100,
    leak_suspected: summary.trend.leakSuspected,
    climbing: summary.trend.climbing,
    forecast_ms: summary.trend.forecastMs === undefined ? null : Math.round(summary.trend.forecastMs),
    warnings: summary.warnings,
    actions: summary.actions,
    reason: summary.reason,
    exit_code: summary.exitCode,
  };
}

/** The --log file: written line by line as things happen, so a monitor killed with -9 still leaves its record. */
export class JsonLinesFile {
  private fd: number | undefined;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'w', 0o644);
    } catch (cause) {
      throw new UsageError(`Cannot write the --log file ${path}: ${(cause as Error).message}`, { code: 'MS_MONITOR_LOG', cause });
    }
  }

  write(record: JsonRecord): void {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Bytes stdout may hold for a slow reader before sample lines are dropped (events and the summary never are). */
const STDOUT_CAP_BYTES = 1024 * 1024;

export class JsonLinesStdout {
  private droppedSamples = 0;
  private closed = false;
  // A reader that goes away (`| head`) must not take the guard down with it: stdout just stops.
  private readonly onError = () => {
    this.closed = true;
  };

  constructor(private readonly stream: NodeJS.WritableStream & { writableLength: number }) {
    stream.on('error', this.onError);
  }

  /** Whether the reader has gone (EPIPE): nothing more is written. */
  get isClosed(): boolean {
    return this.closed;
  }

  dispose(): void {
    this.stream.off('error', this.onError);
  }

  write(record: JsonRecord): void {
    if (this.closed) return;
    if (record.type === 'sample' && this.stream.writableLength > STDOUT_CAP_BYTES) {
      this.droppedSamples++;
      return;
    }
    this.stream.write(`${JSON.stringify(record)}\n`);
  }

  get dropped(): number {
    return this.droppedSamples;
  }
}
