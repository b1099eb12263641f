import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/input/chat-message.js';
import type { TokenCounter } from '../../../src/input/tokens.js';
import { trimMessages } from '../../../src/input/trim-messages.js';

// Each message costs its content length plus 1; every request costs 2 on top (like reply priming).
const counter: TokenCounter = {
  exact: true,
  countText: (text) => text.length,
  countMessages: (messages) => messages.reduce((sum, m) => sum + 1 + (typeof m.content === 'string' ? m.content.length : 0), 2),
};

const system = (content: string): ChatMessage => ({ role: 'system', content });
const developer = (content: string): ChatMessage => ({ role: 'developer', content });
const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const toolCall: ChatMessage = { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function' }] };
const tool = (content: string): ChatMessage => ({ role: 'tool', content, tool_call_id: 't' });

describe('trimMessages (strategy "last", include_system)', () => {
  const conversation = [system('sys'), user('u1u1'), assistant('a1a1'), user('u2u2'), assistant('a2a2'), user('u3')];
  // costs: framing 2; system 4; u1 5; a1 5; u2 5; a2 5; u3 3; total 29

  const cases: { name: string; messages: ChatMessage[]; max: number; kept: ChatMessage[] | 'too long'; tokens: number }[] = [
    { name: 'everything fits', messages: conversation, max: 29, kept: conversation, tokens: 29 },
    { name: 'drops the oldest turn', messages: conversation, max: 28, kept: [system('sys'), ...conversation.slice(2)], tokens: 24 },
    { name: 'keeps as many newest turns as fit', messages: conversation, max: 18, kept: [system('sys'), assistant('a2a2'), user('u3')], tokens: 14 },
    { name: 'only the system and last message', messages: conversation, max: 9, kept: [system('sys'), user('u3')], tokens: 9 },
    { name: 'not even the last message fits', messages: conversation, max: 8, kept: 'too long', tokens: 29 },
    {
      name: 'keeps every leading system and developer message',
      messages: [system('s'), developer('d'), user('old-old'), user('new')],
      max: 12,
      kept: [system('s'), developer('d'), user('new')],
      tokens: 10,
    },
    {
      name: 'a system message later on is an ordinary turn',
      messages: [user('old-old'), system('mid'), user('new')],
      max: 10,
      kept: [system('mid'), user('new')],
      tokens: 10,
    },
    { name: 'without a system message', messages: [user('aaaa'), user('bb')], max: 6, kept: [user('bb')], tokens: 5 },
    {
      name: 'stops at the first turn that does not fit (whole messages only, contiguous)',
      messages: [user('x'), user('a-very-long-message'), user('y')],
      max: 7,
      kept: [user('y')],
      tokens: 4,
    },
    {
      name: 'does not keep a tool result without its tool call',
      messages: [system('s'), user('q'), toolCall, tool('result'), user('next')],
      // costs: framing 2, s 2, q 2, call 1, result 7, next 5: at 16 the cut lands between the call and its result
      max: 16,
      kept: [system('s'), user('next')],
      tokens: 9,
    },
    {
      name: 'keeps a tool call with its result when both fit',
      messages: [system('s'), user('question'), toolCall, tool('r'), user('n')],
      max: 12,
      kept: [system('s'), toolCall, tool('r'), user('n')],
      tokens: 9,
    },
    { name: 'only system messages over the budget', messages: [system('long system')], max: 5, kept: 'too long', tokens: 14 },
  ];

  it.each(cases)('$name', ({ messages, max, kept, tokens }) => {
    const result = trimMessages(messages, max, counter);
    if (kept === 'too long') {
      expect(result).toEqual({ fits: false, tokens });
      return;
    }
    expect(result).toEqual({ fits: true, messages: kept, trimmed: kept.length < messages.length, tokens });
    if (result.fits) expect(counter.countMessages(result.messages)).toBe(result.tokens);
  });

  it('returns the same array when nothing is cut', () => {
    const result = trimMessages(conversation, 100, counter);
    expect(result.fits && result.messages).toBe(conversation);
  });
});
