import { describe, expect, it } from 'vitest';
import { FatalError, ProviderError } from '../../../../src/errors.js';
import { FatalStop } from '../../../../src/engine/stops/fatal.js';
import { armMaxRuntime } from '../../../../src/engine/stops/max-runtime.js';
import { bindStopSignals } from '../../../../src/engine/stops/signal-stop.js';
import { StopControl } from '../../../../src/engine/stops/stop-control.js';

describe('StopControl', () => {
  it('the first cause wins, fires the stopping signal once and tells each listener', () => {
    const stops = new StopControl();
    const heard: string[] = [];
    stops.onStop((reason) => heard.push(reason));
    expect(stops.stop('max-runtime', '--max-runtime of 5 ms reached')).toBe(true);
    expect(stops.stop('SIGTERM')).toBe(false);
    expect(stops.reason).toBe('max-runtime');
    expect(stops.haltReason).toBe('--max-runtime of 5 ms reached');
    expect(stops.stoppingSignal.aborted).toBe(true);
    expect(stops.requestsSignal.aborted).toBe(false);
    expect(heard).toEqual(['max-runtime']);
  });

  it('binds the CLI signals: stop names the signal, abort cuts requests', () => {
    const stops = new StopControl();
    const stop = new AbortController();
    const abort = new AbortController();
    const unbind = bindStopSignals(stops, { stop: stop.signal, abort: abort.signal });
    stop.abort('SIGTERM');
    expect(stops.reason).toBe('SIGTERM');
    abort.abort('SIGINT');
    expect(stops.requestsSignal.aborted).toBe(true);
    unbind();
  });

  it('a signal that fired before the run started stops it at once', () => {
    const stops = new StopControl();
    const stop = new AbortController();
    stop.abort('SIGINT');
    bindStopSignals(stops, { stop: stop.signal, abort: new AbortController().signal })();
    expect(stops.reason).toBe('SIGINT');
  });

  it('--max-runtime halts with its reason; disarmed, it never fires', async () => {
    const stops = new StopControl();
    const stopped = new Promise<void>((resolve) => stops.onStop(() => resolve()));
    armMaxRuntime(stops, 1);
    await stopped;
    expect(stops.reason).toBe('max-runtime');
    const quiet = new StopControl();
    armMaxRuntime(quiet, 1)();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(quiet.stopping).toBe(false);
  });
});

describe('FatalStop', () => {
  // guards: a fatal error neither fired the stopping signal nor recorded a stop event (issue 10, defect 5)
  it('fires the stopping signal (so a stop event is recorded), cuts requests and records the fatal event once', () => {
    const stops = new StopControl();
    const stopEvents: string[] = [];
    stops.onStop((reason) => stopEvents.push(reason));
    const fatalEvents: string[] = [];
    const fatal = new FatalStop(stops, '/tmp/x.db', (error) => fatalEvents.push(error.code));
    const auth = new ProviderError('Authentication failed', { code: 'http_401', scope: 'run', status: 401 });
    fatal.fail(auth);
    fatal.fail(new Error('a consequence'));
    expect(fatal.error).toBe(auth);
    expect(stops.stoppingSignal.aborted).toBe(true);
    expect(stops.requestsSignal.aborted).toBe(true);
    expect(stopEvents).toEqual(['fatal']);
    expect(fatalEvents).toEqual(['http_401']);
  });

  it('wraps a bug as an internal FatalError with the cause kept', () => {
    const fatal = new FatalStop(new StopControl(), '/tmp/x.db', () => undefined);
    const bug = new TypeError('x is undefined');
    fatal.fail(bug);
    expect(fatal.error).toBeInstanceOf(FatalError);
    expect(fatal.error?.code).toBe('MS_INTERNAL');
    expect(fatal.error?.cause).toBe(bug);
  });
});
