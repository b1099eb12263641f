// OpenAI chat bodies -> Messages requests, and Messages answers -> chat.completion, without a server.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { fromAnthropicMessage, toAnthropicRequest, usageOf } from '../../../src/provider/anthropic-mapping.js';

describe('toAnthropicRequest', () => {
  it('joins system messages into `system`, keeps user/assistant turns, maps stop and fills max_tokens', () => {
    const request = toAnthropicRequest(
      {
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'developer', content: [{ type: 'text', text: 'in French' }] },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'bonjour' },
          { role: 'user', content: [{ type: 'text', text: 'again' }] },
        ],
        stop: 'END',
        temperature: 0.2,
        top_p: 0.9,
        // guards: OpenAI-only fields that Anthropic answers 400 "Extra inputs are not permitted"
        frequency_penalty: 0.5,
        presence_penalty: 0.1,
        logit_bias: { 50256: -100 },
        seed: 7,
        response_format: { type: 'json_object' },
        user: 'u-1',
        n: 1,
        stream: false,
      },
      1024,
    );
    expect(request).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'be brief\n\nin French',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'bonjour' },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: 'u-1' },
    });
  });

  it.each([
    [{ max_tokens: 50 }, 50],
    [{ max_completion_tokens: 60, max_tokens: 50 }, 60],
    [{}, 333],
  ])('max_tokens from %j -> %d', (fields, expected) => {
    expect(toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...fields }, 333)['max_tokens']).toBe(expected);
  });

  it('maps images, tools, tool calls and tool results to Anthropic blocks', () => {
    const request = toAnthropicRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'what is it?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"q":"cat"}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        ],
        tools: [{ type: 'function', function: { name: 'look', description: 'looks', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
        tool_choice: 'required',
        parallel_tool_calls: false,
        stop: ['a', 'b'],
      },
      10,
    );
    expect(request['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is it?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'look', input: { q: 'cat' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'a cat' }] },
    ]);
    expect(request['tools']).toEqual([{ name: 'look', description: 'looks', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }]);
    expect(request['tool_choice']).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(request['stop_sequences']).toEqual(['a', 'b']);
  });

  it.each([
    [{ n: 2, messages: [{ role: 'user', content: 'x' }] }, /`n` above 1/],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, /input_audio/],
    [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{not json' } }] }] }, /arguments/],
  ])('refuses what Anthropic cannot take as a record error: %j', (body, message) => {
    const error = catchError(() => toAnthropicRequest({ model: 'm', ...body }, 10));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ scope: 'record', code: 'unsupported_input' });
    expect((error as Error).message).toMatch(message);
  });
});

describe('fromAnthropicMessage', () => {
  const answer = (fields: Record<string, unknown> = {}) => ({
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 12, output_tokens: 5 },
    ...fields,
  });

  it('answers chat.completion with the joined text and usage from input/output tokens', () => {
    const mapped = fromAnthropicMessage(answer(), { model: 'claude-sonnet-4-5' }, 1_700_000_000_500);
    expect(mapped?.body).toEqual({
      id: 'msg_01',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(mapped?.usage).toEqual({ promptTokens: 12, completionTokens: 5, totalTokens: 17 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ])('stop_reason %s -> finish_reason %s', (stopReason, finishReason) => {
    const body = fromAnthropicMessage(answer({ stop_reason: stopReason }), {})?.body as { choices: { finish_reason: string }[] };
    expect(body.choices[0]?.finish_reason).toBe(finishReason);
  });

  it('maps tool_use blocks to tool_calls with JSON-text arguments, and cache reads to cached_tokens', () => {
    const mapped = fromAnthropicMessage(
      answer({
        content: [{ type: 'thinking', thinking: '...' }, { type: 'tool_use', id: 'toolu_1', name: 'look', input: { q: 'cat' } }],
        stop_reason: 'tool_use',
        usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 100 },
      }),
      {},
    );
    const body = mapped?.body as { choices: { message: unknown }[]; usage: unknown };
    expect(body.choices[0]?.message).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'look', arguments: '{"q":"cat"}' } }],
    });
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 100 } });
  });

  it('is undefined for an answer without content blocks, and usage is null-safe', () => {
    expect(fromAnthropicMessage({ type: 'message' }, {})).toBeUndefined();
    expect(usageOf(undefined)).toEqual({ promptTokens: null, completionTokens: null, totalTokens: null });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
