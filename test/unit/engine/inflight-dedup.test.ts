import { describe, expect, it } from 'vitest';
import { InflightDedup } from '../../../src/engine/dispatch/inflight-dedup.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InflightDedup', () => {
  it('runs one leader per key; followers wait and are told it was shared', async () => {
    const dedup = new InflightDedup();
    const gate = deferred<boolean>();
    let calls = 0;
    const lead = async () => {
      calls++;
      return gate.promise;
    };
    const results = [dedup.share('k', lead), dedup.share('k', lead), dedup.share('other', async () => true)];
    expect(dedup.size).toBe(2);
    gate.resolve(true);
    expect(await Promise.all(results)).toEqual(['led', 'followed', 'led']);
    expect(calls).toBe(1);
    expect(dedup.size).toBe(0);
  });

  it('a follower learns of the leader only after the leader has settled its answer', async () => {
    const dedup = new InflightDedup();
    const order: string[] = [];
    const leader = dedup.share('k', async () => {
      await Promise.resolve();
      order.push('leader settled');
      return true;
    });
    const follower = dedup.share('k', async () => true).then((shared) => order.push(`follower ${shared}`));
    await Promise.all([leader, follower]);
    expect(order).toEqual(['leader settled', 'follower followed']);
  });

  it('when the leader fails, exactly one follower leads next and the others follow it', async () => {
    const dedup = new InflightDedup();
    const first = deferred<boolean>();
    let leads = 0;
    const lead = async () => {
      leads++;
      return leads === 1 ? first.promise : true;
    };
    const all = Promise.all([dedup.share('k', lead), dedup.share('k', lead), dedup.share('k', lead)]);
    first.resolve(false);
    expect(await all).toEqual(['led', 'led', 'followed']);
    expect(leads).toBe(2);
  });

  it('a leader that throws releases its followers, who then lead', async () => {
    const dedup = new InflightDedup();
    const failing = dedup.share('k', () => Promise.reject(new Error('boom')));
    const follower = dedup.share('k', async () => true);
    await expect(failing).rejects.toThrow('boom');
    expect(await follower).toBe('led');
  });
});
