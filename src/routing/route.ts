// A route: which provider, URL, key and limits serve the models its `match` glob names. Without --routes,
// the flags form one implicit route that matches every model.

export const ROUTE_PROVIDERS = ['openai', 'anthropic', 'ollama', 'mock'] as const;
export type RouteProvider = (typeof ROUTE_PROVIDERS)[number];

/** The provider's own key variable; ollama and mock need none. */
export const DEFAULT_API_KEY_ENV: Readonly<Record<RouteProvider, string | undefined>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  ollama: undefined,
  mock: undefined,
};

/** The provider's base-URL variable, read when a route names no base_url (as --base-url does today). */
export const BASE_URL_ENV: Readonly<Record<RouteProvider, string | undefined>> = {
  openai: 'OPENAI_BASE_URL',
  anthropic: 'ANTHROPIC_BASE_URL',
  ollama: 'OLLAMA_HOST',
  mock: undefined,
};

export interface Route {
  /** Place in the routes file (0-based); null for the implicit route of the flags. */
  readonly index: number | null;
  /** The glob on the model; `*` for the implicit route. */
  readonly match: string;
  readonly provider: RouteProvider;
  /** undefined: the provider's default URL. */
  readonly baseUrl: string | undefined;
  /** The variable the key was read from (for messages: never the key itself). */
  readonly apiKeyEnv: string | undefined;
  /** Read from the environment when the routes were resolved; never logged or stored. */
  readonly apiKey: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly concurrency: number;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  /** Fills max_tokens of lines that have none (issue 13); undefined: left to the provider's rule. */
  readonly maxTokens: number | undefined;
}

/** The flag values a route falls back to for what it does not set itself. */
export interface RouteDefaults {
  readonly concurrency: number;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly maxTokens?: number | undefined;
  /** --header values: every route sends them, a route's own header of the same name wins. */
  readonly headers: readonly (readonly [string, string])[];
}

/** What implicitRoute reads from RunOptions (structural, so run-options.ts needs no import of this file). */
export interface ImplicitRouteOptions extends RouteDefaults {
  readonly provider: string;
  readonly baseUrl: string | undefined;
  readonly apiKey: string | undefined;
}

export function isRouteProvider(value: string): value is RouteProvider {
  return (ROUTE_PROVIDERS as readonly string[]).includes(value);
}

/** Without --routes: the flags as one route that matches every model, exactly as a run behaves today. */
export function implicitRoute(options: ImplicitRouteOptions): Route {
  if (!isRouteProvider(options.provider)) throw new Error(`unknown provider ${options.provider}`);
  return {
    index: null,
    match: '*',
    provider: options.provider,
    baseUrl: options.baseUrl,
    apiKeyEnv: DEFAULT_API_KEY_ENV[options.provider],
    apiKey: options.apiKey,
    headers: options.headers,
    concurrency: options.concurrency,
    rpm: options.rpm,
    tpm: options.tpm,
    maxTokens: options.maxTokens,
  };
}

/** `routes[2] (claude-*)`, or `--provider openai` for the implicit route: how messages name a route. */
export function describeRoute(route: Route): string {
  return route.index === null ? `--provider ${route.provider}` : `routes[${route.index}] (${route.match})`;
}

/** A route as the checkpoint's runs table may store it: no key, header values redacted. */
export function publicRoute(route: Route): Record<string, unknown> {
  const { apiKey, headers, ...rest } = route;
  return { ...rest, apiKey: apiKey === undefined ? null : '[set]', headers: headers.map(([name]) => `${name}: [redacted]`) };
}

/** Every key and header value of the routes: the logger and the redactor must scrub them like --header values. */
export function routeSecrets(routes: readonly Route[]): string[] {
  return routes.flatMap((route) => [...(route.apiKey === undefined ? [] : [route.apiKey]), ...route.headers.map(([, value]) => value)]);
}
