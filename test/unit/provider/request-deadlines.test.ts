// The shared deadline timer and run-signal listener of the HTTP client (src/provider/request-deadlines.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestDeadlines } from '../../../src/provider/request-deadlines.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RequestDeadlines', () => {
  // guards: each request still times out exactly timeoutMs after it started, as its own setTimeout did
  it('fires each deadline timeoutMs after its own start, oldest first', () => {
    const deadlines = new RequestDeadlines(1000);
    const run = new AbortController().signal;
    const first = deadlines.start(run);
    vi.advanceTimersByTime(300);
    const second = deadlines.start(run);
    const fired: string[] = [];
    first.addEventListener('abort', () => fired.push('first'));
    second.addEventListener('abort', () => fired.push('second'));
    vi.advanceTimersByTime(699);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['first']);
    expect(first).toMatchObject({ aborted: true, timedOut: true });
    vi.advanceTimersByTime(299);
    expect(fired).toEqual(['first']);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['first', 'second']);
    expect(deadlines.size).toBe(0);
  });

  it('a finished request never fires, and an empty list leaves no timer behind', () => {
    const deadlines = new RequestDeadlines(1000);
    const run = new AbortController().signal;
    const handle = deadlines.start(run);
    const listener = vi.fn();
    handle.addEventListener('abort', listener);
    deadlines.finish(handle);
    deadlines.finish(handle);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(listener).not.toHaveBeenCalled();
    expect(handle.aborted).toBe(false);
  });

  it('finishing the oldest moves the timer on to the next one', () => {
    const deadlines = new RequestDeadlines(1000);
    const run = new AbortController().signal;
    const old = deadlines.start(run);
    vi.advanceTimersByTime(500);
    const young = deadlines.start(run);
    deadlines.finish(old);
    vi.advanceTimersByTime(500);
    expect(young.aborted).toBe(false);
    vi.advanceTimersByTime(500);
    expect(young).toMatchObject({ aborted: true, timedOut: true });
  });

  // guards: the run's abort signal still aborts every request in flight, with its reason, and nothing else
  it('an abort of the run signal aborts every request on it with its reason', () => {
    const deadlines = new RequestDeadlines(60_000);
    const run = new AbortController();
    const other = new AbortController().signal;
    const handles = Array.from({ length: 5 }, () => deadlines.start(run.signal));
    const bystander = deadlines.start(other);
    deadlines.finish(handles[4]!);
    const reason = new Error('SIGINT');
    run.abort(reason);
    for (const handle of handles.slice(0, 4)) expect(handle).toMatchObject({ aborted: true, timedOut: false, reason });
    expect(handles[4]!.aborted).toBe(false);
    expect(bystander.aborted).toBe(false);
  });

  it('adds one listener to the run signal however many requests use it', () => {
    const deadlines = new RequestDeadlines(60_000);
    const run = new AbortController().signal;
    const spy = vi.spyOn(run, 'addEventListener');
    for (let index = 0; index < 100; index += 1) deadlines.finish(deadlines.start(run));
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('signal() gives a real AbortSignal that follows the handle, even when asked after the abort', () => {
    const deadlines = new RequestDeadlines(1000);
    const run = new AbortController().signal;
    const early = deadlines.start(run);
    const signal = early.signal();
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(signal.aborted).toBe(true);
    const late = deadlines.start(run);
    vi.advanceTimersByTime(1000);
    expect(late.signal().aborted).toBe(true);
  });

  it('a removed listener is not called', () => {
    const deadlines = new RequestDeadlines(1000);
    const handle = deadlines.start(new AbortController().signal);
    const kept = vi.fn();
    const removed = vi.fn();
    handle.addEventListener('abort', removed);
    handle.addEventListener('abort', kept);
    handle.removeEventListener('abort', removed);
    vi.advanceTimersByTime(1000);
    expect(removed).not.toHaveBeenCalled();
    expect(kept).toHaveBeenCalledTimes(1);
  });
});
