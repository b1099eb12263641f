import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { implicitRoute, publicRoute, routeSecrets } from '../../../src/routing/route.js';
import { loadRoutes, parseRoutesText } from '../../../src/routing/routes-file.js';

const defaults = { concurrency: 16, rpm: undefined, tpm: 5000, headers: [['X-Title', 'memsafe'] as const] };

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

const parse = (value: unknown) => () => parseRoutesText('routes.json', JSON.stringify(value));

describe('parseRoutesText: errors name the route index, the field, the value and what was expected', () => {
  it.each([
    [{ routes: [{ match: '*', provider: 'openai' }, { match: 'x', provider: 'openai', concurrency: 0 }] }, 'routes[1].concurrency: expected an integer from 1 to 10000, got 0'],
    [{ routes: [{ match: '*', provider: 'openia' }] }, 'routes[0].provider: expected one of openai, anthropic, ollama, mock, got "openia"'],
    [{ routes: [{ provider: 'openai' }] }, 'routes[0].match: expected a glob on the model like "claude-*" or "*", got nothing'],
    [{ routes: [{ match: '*', provider: 'openai', rpm: 2.5 }] }, 'routes[0].rpm: expected an integer >= 1, got 2.5'],
    [{ routes: [{ match: '*', provider: 'openai', base_url: 'ftp://x' }] }, 'routes[0].base_url: expected an http(s) URL'],
    [{ routes: [{ match: '*', provider: 'openai', api_key_env: 'not a name' }] }, 'routes[0].api_key_env: expected the name of an environment variable'],
    [{ routes: [{ match: '*', provider: 'openai', max_tokens: '1k' }] }, 'routes[0].max_tokens: expected an integer >= 1, got "1k"'],
    [{ routes: [{ match: '*', provider: 'openai', headers: { 'bad name': 'x' } }] }, 'routes[0].headers: expected an object of header names'],
    [{ routes: [{ match: '*', provider: 'openai', concurrancy: 3 }] }, 'routes[0]: unknown field "concurrancy" (expected match, provider,'],
    [{ routes: [] }, 'routes: expected a non-empty array of routes, got []'],
    [{ routes: {} }, 'routes: expected an array of routes, got {}'],
    [{ routes: ['*'] }, 'routes[0]: expected an object like'],
    [{ rutes: [] }, 'routes: expected an array of routes, got nothing'],
    [[1], 'expected an object like {"routes"'],
  ])('%j', (file, expected) => {
    const text = message(parse(file));
    expect(text).toContain('--routes routes.json: ');
    expect(text).toContain(expected);
  });

  it('says so when the file is not JSON', () => expect(message(() => parseRoutesText('r.json', '{routes'))).toMatch(/not valid JSON/));
});

describe('a key written in the routes file is refused, without repeating it', () => {
  const key = 'sk-proj-abcdefghijklmnopqrstuvwx';
  it.each([
    [{ routes: [{ match: '*', provider: 'openai', api_key: key }] }, 'routes[0].api_key'],
    [{ routes: [{ match: '*', provider: 'openai', apiKey: 'x' }] }, 'routes[0].apiKey'],
    [{ routes: [{ match: '*', provider: 'openai', key: 'x' }] }, 'routes[0].key'],
    [{ routes: [{ match: '*', provider: 'openai', headers: { Authorization: 'Bearer abc' } }] }, 'routes[0].headers.Authorization'],
    [{ routes: [{ match: '*', provider: 'anthropic', headers: { 'x-api-key': 'abc' } }] }, 'routes[0].headers.x-api-key'],
    [{ routes: [{ match: '*', provider: 'openai', headers: { 'X-Custom': `Bearer ${key}` } }] }, 'routes[0].headers.X-Custom'],
    [{ routes: [{ match: '*', provider: 'openai', headers: { 'X-Custom': key } }] }, 'routes[0].headers.X-Custom'],
    [{ routes: [{ match: '*', provider: 'openai', base_url: 'https://user:pw@api.example.com/v1' }] }, 'routes[0].base_url'],
    [{ routes: [{ match: '*', provider: 'openai', base_url: 'https://api.example.com/v1?api_key=x' }] }, 'routes[0].base_url'],
    [{ routes: [{ match: '*', provider: 'openai', api_key_env: key }] }, 'routes[0].api_key_env'],
    [{ api_key: 'x', routes: [] }, 'api_key'],
  ])('%j', (file, where) => {
    let error: unknown;
    try {
      parse(file)();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    const text = `${(error as UsageError).message}\n${(error as UsageError).hint ?? ''}`;
    expect(text).toContain(`${where}: a key written in the routes file is refused`);
    expect(text).toContain('api_key_env');
    expect(text).not.toContain(key);
    expect(text).not.toContain('Bearer');
  });
});

describe('loadRoutes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-routes-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (value: unknown) => {
    const file = path.join(dir, 'routes.json');
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('resolves keys from the environment, provider defaults and the flags for what a route leaves out', () => {
    const file = write({
      routes: [
        { match: 'claude-*', provider: 'anthropic', concurrency: 8 },
        { match: 'deepseek-*', provider: 'openai', base_url: 'https://api.deepseek.com/v1/', api_key_env: 'DEEPSEEK_API_KEY', rpm: 3000, headers: { 'x-title': 'mine' } },
        { match: '*', provider: 'openai', max_tokens: 256 },
      ],
    });
    const env = { ANTHROPIC_API_KEY: ' ak ', DEEPSEEK_API_KEY: 'dk', OPENAI_API_KEY: 'ok', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
    const [claude, deepseek, rest] = loadRoutes(file, defaults, env);
    expect(claude).toMatchObject({ index: 0, provider: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY', apiKey: 'ak', concurrency: 8, tpm: 5000, baseUrl: undefined, maxTokens: 1024 });
    expect(claude?.headers).toEqual([['X-Title', 'memsafe']]);
    expect(deepseek).toMatchObject({ apiKey: 'dk', baseUrl: 'https://api.deepseek.com/v1', rpm: 3000, concurrency: 16 });
    // guards: a route's own header replaces the flag's header of the same name (any case), not both sent
    expect(deepseek?.headers).toEqual([['x-title', 'mine']]);
    expect(rest).toMatchObject({ apiKey: 'ok', baseUrl: 'http://127.0.0.1:9/v1', maxTokens: 256 });
  });

  it('refuses a named key variable that is not set, naming the variable only', () => {
    const file = write({ routes: [{ match: '*', provider: 'openai', api_key_env: 'DEEPSEEK_API_KEY' }] });
    expect(message(() => loadRoutes(file, defaults, {}))).toContain('routes[0].api_key_env: expected DEEPSEEK_API_KEY to be set');
  });

  it('leaves the key out when the provider default variable is not set (local servers need none)', () => {
    const file = write({ routes: [{ match: '*', provider: 'openai' }, { match: 'x', provider: 'ollama' }] });
    const routes = loadRoutes(file, defaults, {});
    expect(routes.map((route) => route.apiKey)).toEqual([undefined, undefined]);
    expect(routes[1]?.apiKeyEnv).toBeUndefined();
  });

  it('names a missing file', () => expect(message(() => loadRoutes(path.join(dir, 'nope.json'), defaults, {}))).toMatch(/cannot read it \(ENOENT\)/));
});

describe('implicitRoute and publicRoute', () => {
  it('turns the flags into one route matching every model, and never shows its key', () => {
    const route = implicitRoute({ provider: 'openai', baseUrl: undefined, apiKey: 'sk-secretsecretsecret', concurrency: 4, rpm: 60, tpm: undefined, headers: [['A', 'b']] });
    expect(route).toMatchObject({ index: null, match: '*', provider: 'openai', apiKeyEnv: 'OPENAI_API_KEY', concurrency: 4, rpm: 60 });
    const shown = JSON.stringify(publicRoute(route));
    expect(shown).not.toContain('secret');
    expect(shown).toContain('"apiKey":"[set]"');
    expect(shown).toContain('A: [redacted]');
    expect(routeSecrets([route, { ...route, apiKey: undefined }])).toEqual(['sk-secretsecretsecret', 'b', 'b']);
  });
});
