// The shape of a --routes file, checked with zod; every problem is turned into one line that names the route
// index and the field, the value and what was expected: `routes[1].concurrency: expected an integer >= 1, got 0`.
import { z } from 'zod';
import { ROUTE_PROVIDERS } from './route.js';

/** A value accepted when `accept` says so, else an issue whose message is what was expected. */
function expect<T>(expected: string, accept: (value: unknown) => boolean) {
  return z.unknown().refine(accept, { message: expected }) as unknown as z.ZodType<T>;
}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  expect<number>(
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
    (value) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max,
  );

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isHeaderObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([name, text]) => HEADER_NAME.test(name) && typeof text === 'string');
}

export const routeSchema = z.strictObject({
  match: expect<string>('a glob on the model like "claude-*" or "*"', (value) => typeof value === 'string' && value.trim() !== ''),
  provider: expect<(typeof ROUTE_PROVIDERS)[number]>(`one of ${ROUTE_PROVIDERS.join(', ')}`, (value) =>
    (ROUTE_PROVIDERS as readonly unknown[]).includes(value),
  ),
  base_url: expect<string>('an http(s) URL like https://api.deepseek.com/v1', isHttpUrl).optional(),
  api_key_env: expect<string>('the name of an environment variable like DEEPSEEK_API_KEY', (value) => typeof value === 'string' && ENV_NAME.test(value)).optional(),
  headers: expect<Record<string, string>>('an object of header names (like X-Title) to string values', isHeaderObject).optional(),
  concurrency: integer(1, 10_000).optional(),
  rpm: integer(1).optional(),
  tpm: integer(1).optional(),
  max_tokens: integer(1).optional(),
});

export const routesFileSchema = z.strictObject({
  routes: z.array(routeSchema).min(1, { message: 'a non-empty array of routes' }),
});

export type RawRoute = z.output<typeof routeSchema>;
export type RawRoutesFile = z.output<typeof routesFileSchema>;

export const ROUTE_FIELDS = Object.keys(routeSchema.shape);
