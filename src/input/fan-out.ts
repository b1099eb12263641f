// `--models m1,m2,...`: every record is sent to each model. Each record × model pair is its own record, with
// the id `<id>@<model>` and its own request hash, so it resumes, caches and exports like any other record.
import type { Job } from './record.js';
import { requestHash } from './request-hash.js';

/** `<id>@<model>`: the id of one record × model pair. */
export function fanOutId(id: string, model: string): string {
  return `${id}@${model}`;
}

/**
 * One job per model, in the order of `models`: body.model replaced, hash recomputed. The messages (and every
 * other field) are shared with the original job, not copied; each job keeps the line's bytes for memory
 * accounting, which over-counts the shared part on purpose (the governor errs on the safe side).
 */
export function fanOut(job: Job, models: readonly string[]): Job[] {
  return models.map((model) => {
    const body = { ...job.body, model };
    return { ...job, id: fanOutId(job.id, model), body, hash: requestHash(job.endpoint, body) };
  });
}

/** `gpt-4o, claude-sonnet-4-5` -> the distinct names in order; undefined when it names none or repeats one. */
export function parseModelList(text: string): string[] | undefined {
  const models = text.split(',').map((model) => model.trim());
  if (models.length === 0 || models.some((model) => model === '')) return undefined;
  return new Set(models).size === models.length ? models : undefined;
}
