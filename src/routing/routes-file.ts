// `--routes FILE`: reads the JSON, refuses keys written in it, checks its shape, and resolves each route
// against the flags and the environment (keys are read here, once, after .env is loaded).
import fs from 'node:fs';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '../provider/anthropic-defaults.js';
import { globToRegExp } from './glob.js';
import { BASE_URL_ENV, DEFAULT_API_KEY_ENV, type Route, type RouteDefaults } from './route.js';
import { findWrittenKey } from './route-secrets.js';
import { ROUTE_FIELDS, routesFileSchema, type RawRoute } from './route-schema.js';

/** A routes file is a handful of lines; anything this large is the wrong file. */
export const MAX_ROUTES_FILE_BYTES = 1024 * 1024;
const SHOWN_VALUE_CHARS = 60;

function routesError(file: string, message: string, hint?: string): UsageError {
  return new UsageError(`--routes ${file}: ${message}`, hint === undefined ? { code: 'MS_BAD_ROUTES' } : { code: 'MS_BAD_ROUTES', hint });
}

/** `routes[1].concurrency` from zod's path. */
function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? String(part) : `.${String(part)}`;
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_VALUE_CHARS ? `${text.slice(0, SHOWN_VALUE_CHARS)}…` : text;
}

function describeIssue(root: unknown, issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? 'the file' : pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return `${where}: unknown field ${keys} (expected ${issue.path.length === 0 ? '"routes"' : ROUTE_FIELDS.join(', ')})`;
  }
  let expected = issue.message;
  if (issue.code === 'invalid_type') expected = issue.path.length === 1 ? 'an array of routes' : 'an object like {"match": "*", "provider": "openai"}';
  return `${where}: expected ${expected}, got ${showValue(valueAt(root, issue.path))}`;
}

/** The file's routes checked for shape; errors name the file, the route index and the field. */
export function parseRoutesText(file: string, text: string): RawRoute[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw routesError(file, `not valid JSON (${(error as Error).message})`);
  }
  const keyAt = findWrittenKey(json);
  if (keyAt !== undefined) {
    throw routesError(file, `${keyAt}: a key written in the routes file is refused`, 'Put the key in an environment variable (or .env) and name it with "api_key_env".');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw routesError(file, `expected an object like {"routes": [{"match": "*", "provider": "openai"}]}, got ${showValue(json)}`);
  }
  const result = routesFileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw routesError(file, issue === undefined ? 'invalid' : describeIssue(json, issue));
  }
  return result.data.routes;
}

function readText(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw routesError(file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > MAX_ROUTES_FILE_BYTES) throw routesError(file, `expected a small JSON file (at most 1 MB), got ${size} bytes`);
  return fs.readFileSync(file, 'utf8');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function mergeHeaders(defaults: RouteDefaults['headers'], own: Record<string, string> | undefined): (readonly [string, string])[] {
  const ownNames = new Set(Object.keys(own ?? {}).map((name) => name.toLowerCase()));
  return [...defaults.filter(([name]) => !ownNames.has(name.toLowerCase())), ...Object.entries(own ?? {})];
}

/** A checked route with the flags' values for what it leaves out, and its key read from the environment. */
export function resolveRoute(file: string, raw: RawRoute, index: number, defaults: RouteDefaults, environment: NodeJS.ProcessEnv): Route {
  const apiKeyEnv = raw.api_key_env ?? DEFAULT_API_KEY_ENV[raw.provider];
  const apiKey = apiKeyEnv === undefined ? undefined : nonEmpty(environment[apiKeyEnv]);
  if (raw.api_key_env !== undefined && apiKey === undefined) {
    throw routesError(file, `routes[${index}].api_key_env: expected ${raw.api_key_env} to be set in the environment or .env, got nothing`);
  }
  const baseUrlEnv = BASE_URL_ENV[raw.provider];
  const envUrl = baseUrlEnv === undefined ? undefined : nonEmpty(environment[baseUrlEnv]);
  const baseUrl = raw.base_url ?? (envUrl === undefined ? undefined : /^https?:\/\//.test(envUrl) ? envUrl : `http://${envUrl}`);
  return {
    index,
    match: raw.match,
    provider: raw.provider,
    baseUrl: baseUrl?.replace(/\/+$/, ''),
    apiKeyEnv,
    apiKey,
    headers: mergeHeaders(defaults.headers, raw.headers),
    concurrency: raw.concurrency ?? defaults.concurrency,
    rpm: raw.rpm ?? defaults.rpm,
    tpm: raw.tpm ?? defaults.tpm,
    // Anthropic requires max_tokens: its routes fill 1024 when neither the route nor --max-tokens sets one.
    maxTokens: raw.max_tokens ?? defaults.maxTokens ?? (raw.provider === 'anthropic' ? ANTHROPIC_DEFAULT_MAX_TOKENS : undefined),
  };
}

/** Reads, checks and resolves `--routes FILE`: UsageError (exit 2) on any problem, before anything is sent. */
export function loadRoutes(file: string, defaults: RouteDefaults, environment: NodeJS.ProcessEnv = process.env): Route[] {
  const raws = parseRoutesText(file, readText(file));
  return raws.map((raw, index) => {
    globToRegExp(raw.match);
    return resolveRoute(file, raw, index, defaults, environment);
  });
}
