// The monitor's options, validated: raw commander values in, typed values or a UsageError naming the flag out.
import type { Command } from 'commander';
import { z } from 'zod';
import { fields } from '../config/fields.js';
import { validateOptions } from '../config/validate.js';
import type { SizeSpec } from '../config/units.js';
import { UsageError } from '../errors.js';
import type { GuardAction } from './guard.js';
import { plotFormat } from './plot.js';

export const GUARD_ACTIONS = ['none', 'term', 'kill'] as const;

const schema = z.object({
  pid: fields.integer(1).optional(),
  interval: fields.positiveDuration(),
  duration: fields.positiveDuration().optional(),
  children: z.boolean().optional(),
  warn: fields.size(),
  max: fields.size(),
  action: fields.choice(GUARD_ACTIONS),
  grace: fields.duration(),
  json: z.boolean().optional(),
  log: fields.text().optional(),
  plot: fields
    .text()
    .refine((file) => plotFormat(file) !== undefined, { message: 'a file name ending in .html or .svg' })
    .optional(),
  gpu: z.boolean().optional(),
});

export interface MonitorOptions {
  readonly pid: number | undefined;
  /** CMD ARGS... given after `--`. */
  readonly command: readonly string[];
  readonly intervalMs: number;
  readonly durationMs: number | undefined;
  readonly children: boolean;
  readonly warn: SizeSpec;
  readonly warnIsDefault: boolean;
  readonly max: SizeSpec;
  readonly action: GuardAction;
  readonly graceMs: number;
  readonly json: boolean;
  readonly log: string | undefined;
  readonly plot: string | undefined;
  readonly gpu: boolean;
  readonly nvidiaSmi: string;
}

export function parseMonitorOptions(command: Command, args: readonly string[], env: NodeJS.ProcessEnv): MonitorOptions {
  const options = validateOptions(command, schema);
  if (options.pid !== undefined && args.length > 0) {
    throw new UsageError('Give either --pid or a command after `--`, not both', { code: 'MS_MONITOR_TARGET' });
  }
  if (options.pid === undefined && args.length === 0) {
    throw new UsageError('Nothing to watch: give --pid PID, or a command after `--`', {
      code: 'MS_MONITOR_TARGET',
      hint: 'memsafe monitor --pid 1234   or   memsafe monitor -- python embed.py',
    });
  }
  return {
    pid: options.pid,
    command: args,
    intervalMs: options.interval,
    durationMs: options.duration,
    children: options.children === true,
    warn: options.warn,
    warnIsDefault: command.getOptionValueSource('warn') === 'default',
    max: options.max,
    action: options.action,
    graceMs: options.grace,
    json: options.json === true,
    log: options.log,
    plot: options.plot,
    gpu: options.gpu === true,
    nvidiaSmi: env.MEMSAFE_NVIDIA_SMI !== undefined && env.MEMSAFE_NVIDIA_SMI !== '' ? env.MEMSAFE_NVIDIA_SMI : 'nvidia-smi',
  };
}
