import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { allowManyAbortListeners } from '../../../src/util/abort-listeners.js';

describe('allowManyAbortListeners', () => {
  // guards: the shared run signal must not print node's MaxListenersExceededWarning with many requests in flight
  it('lets more than ten listeners wait on one signal without a leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      allowManyAbortListeners(controller.signal);
      for (let index = 0; index < 20; index++) controller.signal.addEventListener('abort', () => undefined);
      await nextTurn();
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
