import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addRunOptions } from '../../../src/config/run-flags.js';
import { inflightBytes } from '../../../src/config/inflight-bytes.js';
import { defaultCheckpointPath, memoryThresholds, resolveRunOptions } from '../../../src/config/run-options.js';
import { UsageError } from '../../../src/errors.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;

describe('memoryThresholds', () => {
  it('defaults to 1.5 GB, warning at two thirds, on a large machine', () => {
    expect(memoryThresholds(undefined, undefined, 24 * GB)).toEqual({ maxMemoryBytes: 1.5 * GB, warnMemoryBytes: 1 * GB });
  });
  it('protects a 512 MB container with 75% of its limit', () => {
    expect(memoryThresholds(undefined, undefined, 512 * MB)).toEqual({ maxMemoryBytes: 384 * MB, warnMemoryBytes: 256 * MB });
  });
  it('reads percentages of the limit', () => {
    expect(memoryThresholds({ kind: 'percent', percent: 50 }, { kind: 'percent', percent: 75 }, 1 * GB)).toEqual({
      warnMemoryBytes: 512 * MB,
      maxMemoryBytes: 768 * MB,
    });
  });
  it('refuses a warning line at or above the breaker', () => {
    expect(() => memoryThresholds({ kind: 'bytes', bytes: 2 * GB }, { kind: 'bytes', bytes: 1 * GB }, 24 * GB)).toThrow(UsageError);
  });
});

describe('defaultCheckpointPath', () => {
  it.each([
    ['data/prompts.jsonl', 'data/prompts.memsafe.db'],
    ['data/prompts.jsonl.gz', 'data/prompts.memsafe.db'],
    ['in.json', 'in.memsafe.db'],
    ['noext', 'noext.memsafe.db'],
  ])('%s -> %s', (input, expected) => expect(defaultCheckpointPath(input)).toBe(expected));
  it('names a shard checkpoint after its shard', () => {
    expect(defaultCheckpointPath('in.jsonl', { index: 2, count: 8 })).toBe('in.shard-2-of-8.memsafe.db');
  });
  it('needs --db for stdin', () => expect(() => defaultCheckpointPath('-')).toThrow(/--db/));
});

describe('--embedding-encoding', () => {
  afterEach(() => vi.unstubAllEnvs());
  const resolve = (...flags: string[]) => {
    const command = addRunOptions(new Command('embeddings'), false).exitOverride();
    command.parse(['--input', 'in.jsonl', ...flags], { from: 'user' });
    return resolveRunOptions(command, 'embeddings', {});
  };

  it('defaults to base64; float and MEMSAFE_EMBEDDING_ENCODING are read', () => {
    expect(resolve().embeddingEncoding).toBe('base64');
    expect(resolve('--embedding-encoding', 'float').embeddingEncoding).toBe('float');
    vi.stubEnv('MEMSAFE_EMBEDDING_ENCODING', 'float');
    expect(resolve().embeddingEncoding).toBe('float');
  });

  it('refuses another value, naming the flag, the value and what was expected', () => {
    expect(() => resolve('--embedding-encoding', 'binary')).toThrow(
      new UsageError('Expected `--embedding-encoding` to be one of base64, float, got `binary`', { code: 'MS_BAD_OPTION' }),
    );
    vi.stubEnv('MEMSAFE_EMBEDDING_ENCODING', 'f32');
    expect(() => resolve()).toThrow(/Expected `MEMSAFE_EMBEDDING_ENCODING` \(environment\) to be one of base64, float, got `f32`/);
  });
});

describe('--provider anthropic', () => {
  const resolve = (environment: Record<string, string>, mode: 'cache' | 'embeddings', ...flags: string[]) => {
    const command = addRunOptions(new Command(mode), false).exitOverride();
    command.parse(['--input', 'in.jsonl', '--provider', 'anthropic', ...flags], { from: 'user' });
    return resolveRunOptions(command, mode, environment);
  };

  it('reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, never OPENAI_API_KEY, and defaults --max-tokens to 1024', () => {
    const options = resolve({ ANTHROPIC_API_KEY: 'sk-ant-x', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/', OPENAI_API_KEY: 'sk-openai' }, 'cache');
    expect(options).toMatchObject({ provider: 'anthropic', apiKey: 'sk-ant-x', baseUrl: 'http://127.0.0.1:9', maxTokens: 1024 });
    expect(resolve({ ANTHROPIC_API_KEY: 'k' }, 'cache', '--max-tokens', '77').maxTokens).toBe(77);
  });

  it('refuses embeddings, naming the mode and the provider', () => {
    expect(() => resolve({ ANTHROPIC_API_KEY: 'k' }, 'embeddings')).toThrow(/Expected `--mode cache` with `--provider anthropic`: Anthropic has no embeddings API/);
  });

  it('needs ANTHROPIC_API_KEY for the real API, not for another --base-url, a key --header or --dry-run', () => {
    expect(() => resolve({}, 'cache')).toThrow(expect.objectContaining({ code: 'MS_NO_API_KEY', exitCode: 2 }) as Error);
    expect(() => resolve({}, 'cache', '--base-url', 'https://api.anthropic.com')).toThrow(/ANTHROPIC_API_KEY/);
    expect(resolve({}, 'cache', '--base-url', 'http://127.0.0.1:9').apiKey).toBeUndefined();
    expect(resolve({}, 'cache', '--header', 'x-api-key: k').provider).toBe('anthropic');
    expect(resolve({}, 'cache', '--dry-run').dryRun).toBe(true);
  });
});

describe('--max-tokens for OpenAI-compatible providers', () => {
  it('is undefined unless given', () => {
    const parse = (...flags: string[]) => {
      const command = addRunOptions(new Command('cache'), false).exitOverride();
      command.parse(['--input', 'in.jsonl', ...flags], { from: 'user' });
      return resolveRunOptions(command, 'cache', {});
    };
    expect(parse().maxTokens).toBeUndefined();
    expect(parse('--max-tokens', '256').maxTokens).toBe(256);
    expect(() => parse('--max-tokens', '0')).toThrow(/Expected `--max-tokens` to be an integer >= 1, got `0`/);
  });
});

describe('--max-inflight-bytes', () => {
  afterEach(() => vi.unstubAllEnvs());
  const resolve = (...flags: string[]) => {
    const command = addRunOptions(new Command('cache'), false).exitOverride();
    command.parse(['--input', 'in.jsonl', ...flags], { from: 'user' });
    return resolveRunOptions(command, 'cache', {});
  };

  it.each<[string, number, number]>([
    ['1.5 GB: half of what is left above the 100 MB baseline', 1.5 * GB, 718 * MB],
    ['384 MB (a 512 MB container)', 384 * MB, 142 * MB],
    ['153 MB (baseline + 60 MB)', 153 * MB, 26.5 * MB],
    ['120 MB: the 16 MB floor', 120 * MB, 16 * MB],
    ['40 MB: a quarter of --max-memory', 40 * MB, 10 * MB],
  ])('defaults from --max-memory: %s', (_name, maxMemory, expected) => {
    expect(inflightBytes(undefined, maxMemory)).toBe(expected);
  });

  it('takes the flag and MEMSAFE_MAX_INFLIGHT_BYTES', () => {
    expect(resolve('--max-memory', '1GB', '--max-inflight-bytes', '64MB').maxInflightBytes).toBe(64 * MB);
    vi.stubEnv('MEMSAFE_MAX_INFLIGHT_BYTES', '32MB');
    expect(resolve('--max-memory', '1GB').maxInflightBytes).toBe(32 * MB);
    expect(resolve('--max-memory', '1GB', '--max-inflight-bytes', '48MB').maxInflightBytes).toBe(48 * MB);
  });

  it('refuses more than --max-memory and what is not a size, naming the flag', () => {
    expect(() => resolve('--max-memory', '200MB', '--max-inflight-bytes', '300MB')).toThrow(/Expected `--max-inflight-bytes` to be at most --max-memory \(209715200 bytes\), got `314572800` bytes/);
    expect(() => resolve('--max-inflight-bytes', 'lots')).toThrow(/Expected `--max-inflight-bytes` to be a size like 64KB, 8MB or 1GB, got `lots`/);
  });
});
