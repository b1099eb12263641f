// A real rate limiter for tests: Debian's nginx-light with `limit_req`, installed where missing, started as a child
// on a loopback port with a generated config in a temp dir, in front of an upstream node server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
const INSTALL_TIMEOUT_MS = 240_000;
const READY_TIMEOUT_MS = 10_000;

export type NginxAvailability = { readonly binary: string; readonly skip?: undefined } | { readonly binary?: undefined; readonly skip: string };

let availability: NginxAvailability | undefined;

/** The nginx binary, installing `nginx-light` with apt-get as root where it is missing; else why the tests skip. */
export function ensureNginx(): NginxAvailability {
  availability ??= findOrInstall();
  return availability;
}

function findOrInstall(): NginxAvailability {
  const found = NGINX_CANDIDATES.find((candidate) => existsSync(candidate));
  if (found !== undefined) return { binary: found };
  if (process.platform !== 'linux') return { skip: `nginx is not installed and ${process.platform} has no apt-get` };
  if (process.getuid?.() !== 0) return { skip: 'nginx is not installed and installing nginx-light needs root (apt-get)' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): void => {
    execFileSync('apt-get', args, { env, stdio: 'ignore', timeout: INSTALL_TIMEOUT_MS });
  };
  try {
    try {
      apt(['install', '-y', '-q', 'nginx-light']);
    } catch {
      apt(['update', '-q']); // a fresh machine has no package lists yet
      apt(['install', '-y', '-q', 'nginx-light']);
    }
  } catch (error) {
    return { skip: `nginx-light could not be installed with apt-get: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  const installed = NGINX_CANDIDATES.find((candidate) => existsSync(candidate));
  return installed === undefined ? { skip: 'apt-get installed nginx-light but no nginx binary was found' } : { binary: installed };
}

export interface NginxLimiterOptions {
  /** `http://127.0.0.1:PORT` of the server nginx proxies to. */
  readonly upstream: string;
  /** limit_req rate, requests per second. */
  readonly ratePerSecond: number;
  /** limit_req burst (default 30). */
  readonly burst?: number;
  /** `nodelay` (default true): the burst is served at once and the excess refused, not queued. */
  readonly nodelay?: boolean;
  /** Sends `Retry-After: N` with every 429 (default: no Retry-After). */
  readonly retryAfterSeconds?: number;
}

export interface NginxLimiter {
  /** `http://127.0.0.1:PORT`, the limited front of the upstream. */
  readonly url: string;
  readonly config: string;
  stop(): Promise<void>;
}

/**
 * "limit_req at 300 requests/s (burst 30)": a leaky bucket at `rate` that lets `burst` requests through at once
 * (nodelay) and answers 429 beyond it, keyed on one constant so every client shares the limit.
 */
export function nginxConfig(dir: string, port: number, options: NginxLimiterOptions): string {
  const upstream = new URL(options.upstream);
  const burst = options.burst ?? 30;
  const delay = options.nodelay === false ? '' : ' nodelay';
  const limited = options.retryAfterSeconds === undefined ? '' : `
    error_page 429 = @limited;
    location @limited {
      default_type application/json;
      add_header Retry-After ${options.retryAfterSeconds} always;
      return 429 '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}';
    }`;
  return `worker_processes 1;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  limit_req_zone $server_name zone=memsafe_test:1m rate=${options.ratePerSecond}r/s;
  limit_req_status 429;
  upstream backend {
    server ${upstream.hostname}:${upstream.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    server_name memsafe_limited;
    location / {
      limit_req zone=memsafe_test burst=${burst}${delay};
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }${limited}
  }
}
`;
}

/** Starts nginx in the foreground as a child (`daemon off`), waits until it accepts connections. */
export async function startNginxLimiter(binary: string, options: NginxLimiterOptions): Promise<NginxLimiter> {
  const dir = await mkdtemp(path.join(tmpdir(), 'memsafe-nginx-'));
  await mkdir(path.join(dir, 'logs')); // nginx opens <prefix>/logs/error.log before it reads error_log
  const port = await freePort();
  const config = nginxConfig(dir, port, options);
  const configPath = path.join(dir, 'nginx.conf');
  await writeFile(configPath, config, { mode: 0o600 });
  const child = spawn(binary, ['-p', dir, '-c', configPath, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    await waitUntilListening(port, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGQUIT'); // graceful: lets the worker finish and remove the pid file
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects until nginx answers (it has no readiness event); fails fast when the child exits. */
async function waitUntilListening(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr().trim()}`);
    if (await connects(port)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms: ${stderr().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
