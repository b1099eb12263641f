// One watch of one process (`memsafe monitor`): the sampling loop, the guard's actions, the trend and the record.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes, formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import { BoundedSeries, RingBuffer } from './bounded.js';
import { Guard, type GuardStep } from './guard.js';
import { guardStepEvent } from './guard-events.js';
import type { MonitorOptions } from './options.js';
import type { MonitorOutputs } from './outputs.js';
import { type PlotPoint, mergePlotPoints, writePlot } from './plot.js';
import type { EventDraft, MonitorEvent, Sample } from './sample.js';
import { Sampler } from './sampler.js';
import { type EndReason, SummaryAccumulator } from './summary.js';
import type { Target } from './target.js';
import type { Thresholds } from './thresholds.js';
import { MemoryTrend, NO_TREND, type TrendReading, trendOptionsFor } from './trend.js';
import { trendEvents } from './trend-events.js';

/** Points kept for --plot however long the watch: older ones are merged pairwise beyond this. */
const PLOT_POINTS = 2000;
/** Events kept for the plot and the view; the log file has them all. */
const KEPT_EVENTS = 500;
const RECENT_READINGS = 240;

/** One watch of one process: samples it every interval, guards it, and keeps its record until it ends. */
export class MonitorSession {
  private readonly startedAt = Date.now();
  private readonly stopper = new AbortController();
  private stopReason: EndReason | undefined;
  private interruptCode: number | undefined;
  private readonly guard: Guard;
  private readonly trend: MemoryTrend;
  private trendReading: TrendReading = NO_TREND;
  private readonly summary = new SummaryAccumulator();
  private readonly plotPoints = new BoundedSeries<PlotPoint>(PLOT_POINTS, mergePlotPoints);
  private readonly events = new RingBuffer<MonitorEvent>(KEPT_EVENTS);
  private readonly recent = new RingBuffer<number>(RECENT_READINGS);
  private readonly sampler: Sampler;
  private latest: Sample | undefined;
  private oomKills: number | undefined;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly options: MonitorOptions,
    private readonly target: Target,
    private readonly thresholds: Thresholds,
    private readonly outputs: MonitorOutputs,
  ) {
    this.guard = new Guard({ warnBytes: thresholds.warnBytes, maxBytes: thresholds.maxBytes, action: options.action, graceMs: options.graceMs });
    this.trend = new MemoryTrend(trendOptionsFor(options.intervalMs));
    this.sampler = new Sampler({
      pid: target.pid,
      children: options.children,
      intervalMs: options.intervalMs,
      cgroup: thresholds.cgroup,
      ...(options.gpu ? { gpuCommand: options.nvidiaSmi } : {}),
      onGpuTrouble: (trouble) => {
        const message =
          trouble.kind === 'missing'
            ? `nvidia-smi was not found (${trouble.command}): GPU memory is not sampled; monitoring goes on`
            : `nvidia-smi failed (${trouble.message}): GPU memory is not sampled while it fails; monitoring goes on`;
        // Said on stderr even under the live view: the user asked for --gpu and must learn why it shows nothing.
        this.outputs.say(message, true);
        this.emit({ kind: trouble.kind === 'missing' ? 'gpu_unavailable' : 'gpu_error', message }, false);
      },
    });
  }

  async run(): Promise<number> {
    this.listen();
    const { thresholds, options, target } = this;
    this.emit(startEvent(target.pid, options, thresholds));
    await this.loop();
    let exitCode = this.exitCodeWithoutCommand();
    if (this.target.exited !== undefined && this.stopReason !== 'guard_terminated') {
      if (this.stopReason === 'duration') this.outputs.say('--duration elapsed: stopped watching; waiting for the command to exit', true);
      exitCode = await this.target.exited;
    }
    const summary = this.summary.finish({
      pid: target.pid,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      trend: this.trendReading,
      reason: this.stopReason ?? 'process_ended',
      exitCode,
    });
    this.redraw();
    this.outputs.summary(summary);
    this.outputs.close();
    if (options.plot !== undefined) {
      writePlot(options.plot, {
        pid: target.pid,
        points: this.plotPoints.toArray(),
        sampleCount: this.plotPoints.count,
        events: this.events.toArray(),
        warnBytes: thresholds.warnBytes,
        maxBytes: thresholds.maxBytes,
        startedAt: this.startedAt,
        summary,
      });
    }
    return exitCode;
  }

  dispose(): void {
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // each cleanup runs even when another fails
      }
    }
  }

  private exitCodeWithoutCommand(): number {
    if (this.stopReason === 'guard_terminated') return ExitCode.halted;
    return this.interruptCode ?? ExitCode.ok;
  }

  private stop(reason: EndReason): void {
    this.stopReason ??= reason;
    this.stopper.abort();
  }

  /** Signals, --duration and the started command's exit all end the sampling loop at once. */
  private listen(): void {
    const { options, target } = this;
    const onSignal = (signal: NodeJS.Signals) => {
      if (target.started) {
        // The command is in its own process group: Ctrl-C reaches it only through us.
        target.signal(signal);
        this.emit({ kind: 'signal', message: `forwarded ${signal} to the command`, detail: { signal } });
        return;
      }
      this.interruptCode = signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm;
      this.emit({ kind: 'signal', message: `${signal}: stopped watching`, detail: { signal } });
      this.stop('interrupted');
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, onSignal);
      this.cleanups.push(() => process.off(signal, onSignal));
    }
    if (options.durationMs !== undefined) {
      const timer = setTimeout(() => this.stop('duration'), options.durationMs);
      this.cleanups.push(() => clearTimeout(timer));
    }
    this.cleanups.push(() => this.sampler.close(), () => this.outputs.close());
    void target.exited?.then(() => this.stop(this.guard.isTerminating ? 'guard_terminated' : 'command_exited'));
  }

  private async loop(): Promise<void> {
    const { intervalMs } = this.options;
    let nextTick = Date.now();
    while (!this.stopper.signal.aborted) {
      const reading = await this.sampler.read();
      if (this.stopper.signal.aborted) break;
      if (reading.kind === 'gone') {
        this.stop(this.guard.isTerminating ? 'guard_terminated' : this.target.started ? 'command_exited' : 'process_ended');
        break;
      }
      if (reading.kind === 'sample') this.record(reading.sample);
      else this.missed();
      const now = Date.now();
      nextTick += intervalMs;
      if (nextTick <= now) nextTick = now + intervalMs; // a slow sample skips ticks instead of bunching them
      const wake = Math.min(nextTick, this.guard.deadline ?? Number.POSITIVE_INFINITY);
      try {
        await sleep(Math.max(0, wake - now), undefined, { signal: this.stopper.signal });
      } catch {
        break; // stopped while asleep
      }
    }
  }

  private record(sample: Sample): void {
    this.latest = sample;
    this.summary.addSample(sample);
    const workingSet = sample.cgroup?.workingSetBytes;
    this.plotPoints.push({
      t: sample.t,
      rss: sample.rssBytes,
      ...(workingSet === undefined ? {} : { workingSet }),
      ...(typeof sample.gpuBytes === 'number' ? { gpu: sample.gpuBytes } : {}),
    });
    this.recent.push(sample.rssBytes);
    this.trend.add(sample.t, sample.rssBytes);
    this.outputs.sample(sample);
    for (const step of this.guard.observe(sample.rssBytes, sample.t)) this.act(step);
    this.watchTrend(sample.t);
    this.watchOomKills(sample);
    this.redraw();
  }

  private missedReadings = 0;

  /** A process that runs but could not be read this tick: said once, then retried every tick. */
  private missed(): void {
    if (this.missedReadings++ === 0) {
      this.emit({ kind: 'read_error', message: `could not read the memory of pid ${this.target.pid}; retrying every interval` });
    }
  }

  private act(step: GuardStep): void {
    const whom = this.target.started ? `process group ${this.target.pid}` : `pid ${this.target.pid}`;
    if (step.kind === 'warn') this.summary.countWarning();
    if (step.kind === 'signal') {
      this.target.signal(step.signal);
      this.summary.countAction();
    }
    const { warnBytes, maxBytes } = this.thresholds;
    this.emit(guardStepEvent(step, { warnBytes, maxBytes, graceMs: this.options.graceMs, whom }));
  }

  private watchTrend(now: number): void {
    const before = this.trendReading;
    this.trendReading = this.trend.reading(now, this.thresholds.maxBytes);
    for (const event of trendEvents(before, this.trendReading)) this.emit(event);
  }

  private watchOomKills(sample: Sample): void {
    const kills = sample.cgroup?.events?.oomKill;
    if (kills === undefined) return;
    if (this.oomKills !== undefined && kills > this.oomKills) {
      this.emit({ kind: 'cgroup_oom_kill', message: `the kernel OOM killer ended ${kills - this.oomKills} process(es) in the cgroup`, detail: { oom_kills: kills } });
    }
    this.oomKills = kills;
  }

  /** Records an event; `say` false when its human line was already written. */
  private emit(event: EventDraft, say = true): void {
    const full: MonitorEvent = { t: Date.now(), ...event };
    this.events.push(full);
    this.outputs.event(full, say);
  }

  private redraw(): void {
    if (!this.outputs.isLive) return;
    this.outputs.redraw({
      pid: this.target.pid,
      ...(this.target.label === undefined ? {} : { command: this.target.label }),
      startedAt: this.startedAt,
      now: Date.now(),
      samples: this.summary.count,
      latest: this.latest,
      peakBytes: this.summary.peakBytes,
      limitBytes: this.thresholds.limitBytes,
      limitSource: this.thresholds.limitSource,
      warnBytes: this.thresholds.warnBytes,
      maxBytes: this.thresholds.maxBytes,
      action: this.options.action,
      trend: this.trendReading,
      recent: this.recent.toArray(),
      events: this.events.last(5),
    });
  }
}

function startEvent(pid: number, options: MonitorOptions, thresholds: Thresholds): EventDraft {
  return {
    kind: 'start',
    message: `watching pid ${pid} every ${formatDuration(options.intervalMs)}: warn ${formatBytes(thresholds.warnBytes)}, max ${formatBytes(thresholds.maxBytes)} (limit ${formatBytes(thresholds.limitBytes)}, ${thresholds.limitSource}), action ${options.action}`,
    detail: {
      limit_bytes: thresholds.limitBytes,
      limit_source: thresholds.limitSource,
      warn_bytes: thresholds.warnBytes,
      max_bytes: thresholds.maxBytes,
      action: options.action,
      interval_ms: options.intervalMs,
      children: options.children,
    },
  };
}
