import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addRunOptions } from '../../../src/config/run-flags.js';
import { publicOptions, resolveRunOptions } from '../../../src/config/run-options.js';

const resolve = (flags: string[], environment: NodeJS.ProcessEnv = {}) => {
  const command = addRunOptions(new Command('cache'), false).exitOverride();
  command.parse(['--input', 'in.jsonl', ...flags], { from: 'user' });
  return resolveRunOptions(command, 'cache', environment);
};

describe('--models, --prices, --max-cost', () => {
  it('are unset by default', () => {
    expect(resolve([])).toMatchObject({ models: undefined, routes: undefined, pricesFile: undefined, maxCostUsd: undefined });
  });

  it('read a model list, a price file and a budget', () => {
    expect(resolve(['--models', 'gpt-4o, claude-sonnet-4-5', '--prices', 'p.json', '--max-cost', '$12.50'])).toMatchObject({
      models: ['gpt-4o', 'claude-sonnet-4-5'],
      pricesFile: 'p.json',
      maxCostUsd: 12.5,
    });
  });

  it.each([
    [['--models', 'a,,b'], 'Expected `--models` to be a comma-separated list of distinct model names like gpt-4o,claude-sonnet-4-5, got `a,,b`'],
    [['--models', 'a,a'], 'distinct model names'],
    [['--max-cost', '0'], 'Expected `--max-cost` to be an amount in US dollars above zero like 5 or 12.50, got `0`'],
    [['--max-cost', 'ten'], 'got `ten`'],
    [['--max-cost', '-1'], 'got `-1`'],
  ])('%j is refused', (flags, expected) => {
    expect(() => resolve(flags)).toThrow(expected);
  });

  it('reads MEMSAFE_MODELS and MEMSAFE_MAX_COST, naming the variable when it is wrong', () => {
    process.env['MEMSAFE_MAX_COST'] = 'lots';
    try {
      expect(() => resolve([])).toThrow('Expected `MEMSAFE_MAX_COST` (environment) to be an amount in US dollars');
    } finally {
      delete process.env['MEMSAFE_MAX_COST'];
    }
    process.env['MEMSAFE_MODELS'] = 'x,y';
    try {
      expect(resolve([]).models).toEqual(['x', 'y']);
    } finally {
      delete process.env['MEMSAFE_MODELS'];
    }
  });
});

describe('--routes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cost-options-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves the routes with the flags as defaults, and publicOptions shows no key', () => {
    const file = path.join(dir, 'routes.json');
    fs.writeFileSync(file, JSON.stringify({ routes: [{ match: 'deepseek-*', provider: 'openai', api_key_env: 'DEEPSEEK_API_KEY' }, { match: '*', provider: 'openai' }] }));
    const options = resolve(['--routes', file, '--concurrency', '3', '--header', 'X-Title: t'], { DEEPSEEK_API_KEY: 'sk-deepseekdeepseekdeepseek', OPENAI_API_KEY: 'sk-openaiopenaiopenai' });
    expect(options.routes?.map((route) => [route.match, route.concurrency, route.apiKeyEnv])).toEqual([
      ['deepseek-*', 3, 'DEEPSEEK_API_KEY'],
      ['*', 3, 'OPENAI_API_KEY'],
    ]);
    expect(options.routes?.[0]?.apiKey).toBe('sk-deepseekdeepseekdeepseek');
    const stored = JSON.stringify(publicOptions(options));
    // guards: the routes' keys never reach the checkpoint's runs table
    expect(stored).not.toContain('sk-');
    expect(stored).toContain('"routesFile"');
  });

  it('refuses a bad routes file with exit 2 before anything runs', () => {
    const file = path.join(dir, 'routes.json');
    fs.writeFileSync(file, JSON.stringify({ routes: [{ match: '*', provider: 'openai', concurrency: 0 }] }));
    expect(() => resolve(['--routes', file])).toThrow(`--routes ${file}: routes[0].concurrency: expected an integer from 1 to 10000, got 0`);
  });
});
