// `memsafe monitor`: sample a process every interval, guard it at --warn/--max, and keep a record of it.
import { MonitorSession } from './monitor-session.js';
import type { MonitorOptions } from './options.js';
import { MonitorOutputs, type OutputStreams } from './outputs.js';
import { attachPid, startCommand } from './target.js';
import { resolveThresholds, type Thresholds } from './thresholds.js';
import { assertWritable } from './write-atomic.js';

export async function runMonitor(options: MonitorOptions, streams: OutputStreams = process): Promise<number> {
  if (options.plot !== undefined) assertWritable(options.plot, '--plot');
  const target = options.command.length > 0 ? await startCommand(options.command) : attachPid(options.pid as number, options.action !== 'none');
  let thresholds: Thresholds;
  let outputs: MonitorOutputs;
  try {
    thresholds = resolveThresholds({ pid: target.pid, warn: options.warn, warnIsDefault: options.warnIsDefault, max: options.max });
    outputs = new MonitorOutputs(streams, { json: options.json, logFile: options.log });
  } catch (error) {
    // A bad option found once the command runs: it must not outlive the monitor that was meant to guard it.
    if (target.started) target.signal('SIGTERM');
    throw error;
  }
  const session = new MonitorSession(options, target, thresholds, outputs);
  try {
    return await session.run();
  } finally {
    session.dispose();
  }
}
