import { describe, expect, it } from 'vitest';
import { implicitRoute, type Route } from '../../../src/routing/route.js';
import { RouteNotFoundError, Router } from '../../../src/routing/router.js';

const base = implicitRoute({ provider: 'openai', baseUrl: undefined, apiKey: undefined, concurrency: 1, rpm: undefined, tpm: undefined, headers: [] });
const route = (index: number, match: string, provider: Route['provider'] = 'openai'): Route => ({ ...base, index, match, provider });

describe('Router', () => {
  const router = new Router([route(0, 'claude-*', 'anthropic'), route(1, 'deepseek-*'), route(2, 'gpt-*')]);

  it.each([
    ['claude-sonnet-4-5', 0],
    ['deepseek-chat', 1],
    ['gpt-4o', 2],
  ])('%s -> routes[%d]', (model, index) => {
    expect(router.routeFor({ line: 1, body: { model } }).index).toBe(index);
  });

  it('takes the first match when several match', () => {
    const overlapping = new Router([route(0, 'gpt-4o*'), route(1, 'gpt-*'), route(2, '*')]);
    expect(overlapping.routeForModel('gpt-4o-mini')?.index).toBe(0);
    expect(overlapping.routeForModel('gpt-4.1')?.index).toBe(1);
    expect(overlapping.routeForModel('llama3')?.index).toBe(2);
  });

  it('names the line and the model when no route matches (exit 2)', () => {
    let error: unknown;
    try {
      router.routeFor({ line: 7, body: { model: 'llama3' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RouteNotFoundError);
    expect(error).toMatchObject({ line: 7, model: 'llama3', exitCode: 2, code: 'MS_NO_ROUTE' });
    expect((error as Error).message).toBe('line 7: no route matches model "llama3" (routes: claude-*, deepseek-*, gpt-*)');
  });

  it('answers repeated lookups from its memo, and stays bounded under many distinct models', () => {
    const wide = new Router([route(0, 'm-*')]);
    for (let i = 0; i < 5000; i++) expect(wide.routeForModel(`m-${i}`)?.index).toBe(0);
    expect(wide.routeForModel('m-1')?.index).toBe(0);
    expect(wide.routeForModel('x')).toBeUndefined();
    expect(wide.routeForModel('x')).toBeUndefined();
  });
});
