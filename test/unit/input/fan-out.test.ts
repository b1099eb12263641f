import { describe, expect, it } from 'vitest';
import { fanOut, parseModelList } from '../../../src/input/fan-out.js';
import type { Job } from '../../../src/input/record.js';
import { requestHash } from '../../../src/input/request-hash.js';

const messages = [{ role: 'user', content: 'hello' }];
const body = { model: 'gpt-4o', messages, temperature: 0 };
const job: Job = {
  id: 'q1',
  line: 3,
  endpoint: '/v1/chat/completions',
  body,
  hash: requestHash('/v1/chat/completions', body),
  trimmed: false,
  estimatedTokens: 9,
  bytes: 120,
};

describe('fanOut', () => {
  const jobs = fanOut(job, ['gpt-4o', 'claude-sonnet-4-5', 'deepseek-chat']);

  it('makes one job per model with the id <id>@<model> and the model replaced', () => {
    expect(jobs.map((each) => each.id)).toEqual(['q1@gpt-4o', 'q1@claude-sonnet-4-5', 'q1@deepseek-chat']);
    expect(jobs.map((each) => each.body['model'])).toEqual(['gpt-4o', 'claude-sonnet-4-5', 'deepseek-chat']);
    expect(jobs.every((each) => each.line === 3 && each.estimatedTokens === 9 && each.bytes === 120)).toBe(true);
  });

  it('recomputes each hash from the body it will send, so each pair is cached on its own', () => {
    for (const each of jobs) expect(each.hash).toBe(requestHash(each.endpoint, each.body));
    expect(new Set(jobs.map((each) => each.hash)).size).toBe(3);
    // the same model as the line's own gives the line's own request, so its cached answer is reused
    expect(jobs[0]?.hash).toBe(job.hash);
  });

  it('leaves the original job untouched and shares, not copies, the messages', () => {
    expect(job.body['model']).toBe('gpt-4o');
    expect(job.id).toBe('q1');
    expect(jobs[1]?.body['messages']).toBe(messages);
  });

  it('is deterministic: a rerun makes the same ids and hashes (resume sends nothing twice)', () => {
    expect(fanOut(job, ['gpt-4o', 'claude-sonnet-4-5', 'deepseek-chat'])).toEqual(jobs);
  });
});

describe('parseModelList', () => {
  it.each([
    ['gpt-4o,claude-sonnet-4-5', ['gpt-4o', 'claude-sonnet-4-5']],
    [' gpt-4o , deepseek-chat ', ['gpt-4o', 'deepseek-chat']],
    ['one', ['one']],
    ['a,,b', undefined],
    ['', undefined],
    ['a,b,a', undefined],
  ])('%j -> %j', (text, expected) => expect(parseModelList(text)).toEqual(expected));
});
