// One abort signal shared by many waiters: lifts node's listener-leak warning for it.
import { setMaxListeners } from 'node:events';

/**
 * The run's one abort signal is shared by every request, sleep and queue slot in flight; each removes its listener
 * when done, so node's "more than 10 listeners" leak warning would only be noise here.
 */
export function allowManyAbortListeners(signal: AbortSignal): void {
  setMaxListeners(0, signal);
}
