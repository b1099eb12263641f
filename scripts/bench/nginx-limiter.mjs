// nginx limit_req in front of the bench server, for the rate-limit scenario (the same config as test/helpers/nginx.ts:
// a leaky bucket at `rate` r/s, burst 30 nodelay, 429 beyond it, optionally with Retry-After). Started as a child
// in the foreground on a loopback port; `stop()` ends it and removes its temp dir. Null when nginx is missing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

export function nginxBinary() {
  return CANDIDATES.find((candidate) => fs.existsSync(candidate)) ?? null;
}

function config(dir, port, upstream, { ratePerSecond, burst = 30, retryAfterSeconds }) {
  const limited = retryAfterSeconds === undefined ? '' : `
    error_page 429 = @limited;
    location @limited {
      default_type application/json;
      add_header Retry-After ${retryAfterSeconds} always;
      return 429 '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}';
    }`;
  return `worker_processes 1;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  limit_req_zone $server_name zone=memsafe_bench:1m rate=${ratePerSecond}r/s;
  limit_req_status 429;
  upstream backend {
    server ${upstream.hostname}:${upstream.port};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    server_name memsafe_limited;
    location / {
      limit_req zone=memsafe_bench burst=${burst} nodelay;
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }${limited}
  }
}
`;
}

async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitListening(port, child) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('nginx did not start listening within 10 s');
}

/** `{url, stop()}` of nginx limiting `upstreamUrl` (http://127.0.0.1:PORT), or null without nginx. */
export async function startNginxLimiter(upstreamUrl, options) {
  const binary = nginxBinary();
  if (binary === null) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-bench-nginx-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  const port = await freePort();
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, config(dir, port, new URL(upstreamUrl), options), { mode: 0o600 });
  const child = spawn(binary, ['-p', dir, '-c', file, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: 'ignore' });
  await waitListening(port, child);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGQUIT');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
