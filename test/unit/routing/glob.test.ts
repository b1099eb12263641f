import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../src/routing/glob.js';

describe('globToRegExp', () => {
  it.each([
    ['claude-*', 'claude-sonnet-4-5', true],
    ['claude-*', 'xclaude-sonnet', false],
    ['claude-*', 'claude-', true],
    ['*', 'anything/at all', true],
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4?', 'gpt-4o', true],
    ['gpt-4?', 'gpt-4', false],
    ['gpt-4.1', 'gpt-4x1', false],
    ['deepseek/*', 'deepseek/deepseek-chat', true],
    ['[dD]eepseek-*', 'Deepseek-chat', true],
    ['model-[0-9]', 'model-7', true],
    ['model-[!0-9]', 'model-7', false],
    ['model-[!0-9]', 'model-x', true],
    ['a[b', 'a[b', true],
    ['(x)+$', '(x)+$', true],
    ['Claude-*', 'claude-x', false],
  ])('%s on %s -> %s', (pattern, model, expected) => {
    expect(globToRegExp(pattern).test(model)).toBe(expected);
  });
});
