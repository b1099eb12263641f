// Which route serves a record: the first route whose glob matches its model. One Map lookup per record:
// patterns are compiled once and each model's route is remembered (a run names a handful of models).
import { UsageError } from '../errors.js';
import type { Job } from '../input/record.js';
import { globToRegExp } from './glob.js';
import { describeRoute, type Route } from './route.js';

/** Distinct models remembered at most; a stream of unique names (a mistake) cannot grow memory. */
const MEMO_LIMIT = 1024;

/** A line whose model no route matches: the run stops with exit 2 before anything is sent. */
export class RouteNotFoundError extends UsageError {
  readonly line: number;
  readonly model: string;

  constructor(line: number, model: string, routes: readonly Route[]) {
    super(`line ${line}: no route matches model ${JSON.stringify(model)} (routes: ${routes.map((route) => route.match).join(', ')})`, {
      code: 'MS_NO_ROUTE',
      hint: 'Add a route whose "match" covers this model, or a last route with "match": "*".',
    });
    this.line = line;
    this.model = model;
  }
}

/** The model a request body names; '' when it names none (normalise always fills it). */
export function modelOf(body: Readonly<Record<string, unknown>>): string {
  const model = body['model'];
  return typeof model === 'string' ? model : '';
}

export class Router {
  readonly routes: readonly Route[];
  private readonly patterns: readonly RegExp[];
  private readonly memo = new Map<string, Route | null>();

  constructor(routes: readonly Route[]) {
    if (routes.length === 0) throw new Error('a router needs at least one route');
    this.routes = routes;
    this.patterns = routes.map((route) => globToRegExp(route.match));
  }

  /** The first route that matches the model, or undefined. */
  routeForModel(model: string): Route | undefined {
    const known = this.memo.get(model);
    if (known !== undefined) return known ?? undefined;
    const index = this.patterns.findIndex((pattern) => pattern.test(model));
    const route = index === -1 ? null : (this.routes[index] ?? null);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(model, route);
    return route ?? undefined;
  }

  /** The route of a job; RouteNotFoundError (exit 2) names the line and the model when none matches. */
  routeFor(job: Pick<Job, 'line' | 'body'>): Route {
    const model = modelOf(job.body);
    const route = this.routeForModel(model);
    if (route === undefined) throw new RouteNotFoundError(job.line, model, this.routes);
    return route;
  }

  /** For logs and the summary: each route as `routes[i] (glob) -> provider url`, no keys. */
  describe(): string[] {
    return this.routes.map((route) => `${describeRoute(route)} -> ${route.provider}${route.baseUrl === undefined ? '' : ` ${route.baseUrl}`}`);
  }
}
