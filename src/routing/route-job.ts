// A job meets its route before it is planned: the route is looked up once, and the route's max_tokens is
// written into a chat body that sets none, so the request hash (the cache key) covers what is really sent.
import type { Job } from '../input/record.js';
import { requestHash } from '../input/request-hash.js';
import type { Route } from './route.js';
import type { Router } from './router.js';

export interface RoutedJob {
  readonly job: Job;
  readonly route: Route;
}

function setsMaxTokens(body: Readonly<Record<string, unknown>>): boolean {
  return body['max_tokens'] !== undefined || body['max_completion_tokens'] !== undefined;
}

/** The job's route (RouteNotFoundError, exit 2, when none matches) and the job as that route sends it. */
export function routeJob(job: Job, router: Router): RoutedJob {
  const route = router.routeFor(job);
  if (route.maxTokens === undefined || job.endpoint !== '/v1/chat/completions' || setsMaxTokens(job.body)) return { job, route };
  const body = { ...job.body, max_tokens: route.maxTokens };
  return { job: { ...job, body, hash: requestHash(job.endpoint, body) }, route };
}
