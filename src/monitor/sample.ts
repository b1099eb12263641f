// What the monitor records: one sample per tick, and events for the moments that matter.
import type { CgroupMemoryEvents, MemoryPressure } from '../system/cgroup.js';

export interface Sample {
  /** ms since epoch */
  readonly t: number;
  readonly pid: number;
  /** Resident memory of the process, or of its whole tree with --children. */
  readonly rssBytes: number;
  /** CPU in percent of one core (summed over the tree). */
  readonly cpu: number;
  /** Processes summed into rssBytes. */
  readonly procs: number;
  readonly cgroup?: CgroupReading;
  readonly pressure?: MemoryPressure;
  /** GPU memory of the processes (nvidia-smi); null when the driver answers [N/A]. */
  readonly gpuBytes?: number | null;
}

export interface CgroupReading {
  readonly version: 1 | 2;
  readonly currentBytes: number | undefined;
  readonly workingSetBytes: number | undefined;
  /** The most the cgroup has held (v2 memory.peak, v1 memory.max_usage_in_bytes). */
  readonly peakBytes: number | undefined;
  readonly limitBytes: number | undefined;
  readonly events: CgroupMemoryEvents | undefined;
}

export type EventKind =
  | 'start'
  | 'warn'
  | 'warn_clear'
  | 'max'
  | 'action'
  | 'grace_over'
  | 'leak_suspected'
  | 'leak_cleared'
  | 'climbing'
  | 'climb_ended'
  | 'cgroup_oom_kill'
  | 'gpu_unavailable'
  | 'gpu_error'
  | 'signal'
  | 'read_error';

export interface MonitorEvent {
  readonly t: number;
  readonly kind: EventKind;
  /** One line for people. */
  readonly message: string;
  /** The reading that caused it, when one did. */
  readonly rssBytes?: number;
  /** Extra fields for the JSON line (signal sent, thresholds, slope...). */
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
}

/** An event before it is stamped with its time. */
export type EventDraft = Omit<MonitorEvent, 't'>;
