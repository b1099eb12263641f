// HTTP_PROXY / NO_PROXY are honoured through undici's EnvHttpProxyAgent.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAiProvider } from '../../../src/provider/openai.js';
import { type FaultServer, startFaultServer } from '../../helpers/fault-server.js';

const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;
const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));

/** A forward proxy that tunnels CONNECT and relays absolute-URI requests, counting both. */
async function startProxy() {
  const seen: string[] = [];
  const proxy = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const upstream = http.request(request.url ?? '', { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(upstream);
  });
  proxy.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${request.url}`);
    const [host, port] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      proxy.closeAllConnections();
    }),
  };
}

let server: FaultServer | undefined;
let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;

afterEach(async () => {
  for (const name of PROXY_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await server?.close();
  await proxy?.close();
});

async function sendThroughEnv(env: Partial<Record<(typeof PROXY_VARIABLES)[number], string>>) {
  server = await startFaultServer();
  proxy = await startProxy();
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.replace('$PROXY', proxy?.url ?? '')])));
  const provider = new OpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: undefined, headers: [], timeoutMs: 5000, maxResponseBytes: 65_536, connections: 1 });
  try {
    const response = await provider.send('/v1/chat/completions', { messages: [{ role: 'user', content: 'via proxy?' }] }, new AbortController().signal);
    expect(response.status).toBe(200);
  } finally {
    await provider.close();
  }
  return { seen: proxy.seen, requests: server.requests.length };
}

describe('proxy environment', () => {
  it('HTTP_PROXY routes requests through the proxy', async () => {
    const { seen, requests } = await sendThroughEnv({ HTTP_PROXY: '$PROXY' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/127\.0\.0\.1/);
    expect(requests).toBe(1);
  });

  it('NO_PROXY sends matching hosts directly', async () => {
    const { seen, requests } = await sendThroughEnv({ HTTP_PROXY: '$PROXY', NO_PROXY: '127.0.0.1' });
    expect(seen).toEqual([]);
    expect(requests).toBe(1);
  });
});
