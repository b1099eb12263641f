// The run's routes and their providers: --routes, or the flags as one implicit route. One provider (one pooled
// HTTP client) per route; all of them are closed when the run ends.
import type { RunOptions } from '../config/run-options.js';
import type { RouteTarget } from '../engine/route-pools.js';
import { implicitRoute, type Route } from '../routing/route.js';

export function runRoutes(options: RunOptions): readonly Route[] {
  return options.routes ?? [implicitRoute(options)];
}

export async function openTargets(options: RunOptions): Promise<RouteTarget[]> {
  const { createProvider } = await import('../provider/create-provider.js');
  const targets: RouteTarget[] = [];
  try {
    for (const route of runRoutes(options)) {
      const provider = await createProvider({
        provider: route.provider,
        baseUrl: route.baseUrl,
        apiKey: route.apiKey,
        headers: route.headers,
        timeoutMs: options.timeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        // undici waits one event-loop turn before reusing a socket that just answered; spare sockets let the
        // replacement request go out at once instead of after every answer of the burst has been handled.
        connections: 2 * route.concurrency,
        keepAlive: options.keepAlive,
        maxTokens: route.maxTokens,
        mock: { latencyMs: options.mock.latencyMs, failRate: options.mock.failRate, ...(options.mock.responseBytes === undefined ? {} : { responseBytes: options.mock.responseBytes }) },
      });
      targets.push({ route, provider });
    }
  } catch (error) {
    await closeTargets(targets);
    throw error;
  }
  return targets;
}

export async function closeTargets(targets: readonly RouteTarget[]): Promise<void> {
  await Promise.all(targets.map((target) => target.provider.close().catch(() => undefined)));
}
