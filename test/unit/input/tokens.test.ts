import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/input/chat-message.js';
import { CHAT_FRAMING, estimateTokenCounter, loadTokenCounter } from '../../../src/input/tokens.js';

describe('estimateTokenCounter', () => {
  it.each([
    { text: '', tokens: 0 },
    { text: 'abc', tokens: 1 },
    { text: 'abcd', tokens: 1 },
    { text: 'abcde', tokens: 2 },
  ])('counts ceil(chars / 4): "$text" -> $tokens', ({ text, tokens }) => {
    expect(estimateTokenCounter.countText(text)).toBe(tokens);
  });

  it('adds the chat framing per message, per name and for the reply', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'abcdefgh', name: 'bob' }];
    const expected = CHAT_FRAMING.replyPriming + CHAT_FRAMING.perMessage + 1 + 2 + CHAT_FRAMING.perName + 1;
    expect(estimateTokenCounter.countMessages(messages)).toBe(expected);
    expect(estimateTokenCounter.exact).toBe(false);
  });
});

describe('exact token counter', () => {
  it('returns the estimate counter without loading gpt-tokenizer when not asked', async () => {
    expect(await loadTokenCounter(false)).toBe(estimateTokenCounter);
  });

  it('loads once and agrees with gpt-tokenizer encodeChat for gpt-4o', async () => {
    const tokenizer = await import('gpt-tokenizer');
    const counter = await loadTokenCounter(true);
    expect(await loadTokenCounter(true)).toBe(counter);
    expect(counter.exact).toBe(true);
    const messages = [
      { role: 'system' as const, content: 'You are a careful assistant.' },
      { role: 'user' as const, content: 'Summarise: the quick brown fox jumps over the lazy dog.' },
      { role: 'assistant' as const, content: 'A fox jumps over a dog.' },
    ];
    expect(counter.countMessages(messages)).toBe(tokenizer.encodeChat(messages, 'gpt-4o').length);
    expect(counter.countMessages([])).toBe(tokenizer.encodeChat([], 'gpt-4o').length);
    expect(counter.countText('hello world')).toBe(tokenizer.encode('hello world').length);
  });

  it('counts special-token text in a prompt as plain text instead of throwing', async () => {
    const counter = await loadTokenCounter(true);
    expect(counter.countText('before <|endoftext|> after')).toBeGreaterThan(3);
  });

  it('counts text parts and tool calls of a message', async () => {
    const counter = await loadTokenCounter(true);
    const plain = counter.countMessages([{ role: 'user', content: 'look at this' }]);
    const parts = counter.countMessages([{ role: 'user', content: [{ type: 'text', text: 'look at this' }, { type: 'image_url' }] }]);
    expect(parts).toBe(plain);
    const withCall = counter.countMessages([{ role: 'assistant', content: null, tool_calls: [{ function: { name: 'lookup' } }] }]);
    expect(withCall).toBeGreaterThan(counter.countMessages([{ role: 'assistant', content: null }]));
  });
});
