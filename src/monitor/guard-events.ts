// What each guard step says: the human line and the JSON fields of its event.
import { formatBytes, formatDuration } from '../config/units.js';
import type { GuardStep } from './guard.js';
import type { EventDraft } from './sample.js';

export interface GuardContext {
  readonly warnBytes: number;
  readonly maxBytes: number;
  readonly graceMs: number;
  /** Whom a signal goes to, as the user should read it ("process group 123", "pid 123"). */
  readonly whom: string;
}

export function guardStepEvent(step: GuardStep, context: GuardContext): EventDraft {
  const { warnBytes, maxBytes } = context;
  const rss = formatBytes(step.rssBytes);
  switch (step.kind) {
    case 'warn':
      return { kind: 'warn', message: `RSS ${rss} reached --warn ${formatBytes(warnBytes)}`, rssBytes: step.rssBytes, detail: { warn_bytes: warnBytes } };
    case 'warn_clear':
      return { kind: 'warn_clear', message: `RSS ${rss} is back under --warn ${formatBytes(warnBytes)}`, rssBytes: step.rssBytes };
    case 'max':
      return { kind: 'max', message: `RSS ${rss} reached --max ${formatBytes(maxBytes)}`, rssBytes: step.rssBytes, detail: { max_bytes: maxBytes } };
    case 'signal': {
      const after = step.signal === 'SIGTERM' ? `; SIGKILL in ${formatDuration(context.graceMs)} if still above --max` : '';
      return {
        kind: 'action',
        message: `sent ${step.signal} to ${context.whom} at RSS ${rss} (--max ${formatBytes(maxBytes)})${after}`,
        rssBytes: step.rssBytes,
        detail: { signal: step.signal, target: context.whom, max_bytes: maxBytes },
      };
    }
    case 'grace_over':
      return { kind: 'grace_over', message: `after --grace the process is under --max (RSS ${rss}): not killed`, rssBytes: step.rssBytes };
  }
}
