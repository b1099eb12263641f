// What one input record becomes before it is planned: one record per --models entry (`<id>@<model>`), each routed
// (a model no route matches stops the run with exit 2, naming the line) and, with --max-cost, priced (an unpriced
// model stops it too). Without --models, --routes or --max-cost a record stays as it is, at no cost.
import type { CostTracker } from '../cost/cost-tracker.js';
import { fanOut } from '../input/fan-out.js';
import type { Job } from '../input/record.js';
import { routeJob } from '../routing/route-job.js';
import type { Router } from '../routing/router.js';

export interface ExpansionOptions {
  readonly models: readonly string[] | undefined;
  /** undefined: the flags' implicit route, which the normalizer already applied. */
  readonly router: Router | undefined;
  readonly cost: Pick<CostTracker, 'check' | 'budget'>;
}

export type Expansion = (job: Job) => Job[];

export function recordExpansion(options: ExpansionOptions): Expansion | undefined {
  const { models, router, cost } = options;
  const priced = cost.budget !== undefined;
  if (models === undefined && router === undefined && !priced) return undefined;
  return (job) => {
    const jobs = models === undefined ? [job] : fanOut(job, models);
    return jobs.map((one) => {
      const routed = router === undefined ? one : routeJob(one, router).job;
      if (priced) cost.check(routed);
      return routed;
    });
  };
}
