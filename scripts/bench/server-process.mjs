// Starts the bench server in its own process and talks to it (port, request counters, CPU time).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { readCpuMs } from './measure.mjs';

const SERVER_SCRIPT = fileURLToPath(new URL('./server.mjs', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * @param {{responseBytes?: number, dimensions?: number, latencyMs?: number, maxLifetimeMs?: number, bigEvery?: number, bigResponseBytes?: number, chunked?: boolean}} options
 * @returns {Promise<{port: number, pid: number, baseUrl: string, latencyMs: number, stats: () => Promise<Record<string, number>>, resetPeak: () => Promise<Record<string, number>>, cpuMs: () => number | undefined, stop: () => Promise<void>}>}
 */
export async function startBenchServer(options = {}) {
  const args = [
    SERVER_SCRIPT,
    '--response-bytes', String(options.responseBytes ?? 16),
    '--dimensions', String(options.dimensions ?? 8),
    '--latency-ms', String(options.latencyMs ?? 0),
    '--max-lifetime-ms', String(options.maxLifetimeMs ?? 2 * 60 * 60 * 1000),
    '--watch-stdin',
    ...(options.bigEvery === undefined ? [] : ['--big-every', String(options.bigEvery), '--big-response-bytes', String(options.bigResponseBytes ?? 0)]),
    ...(options.chunked === true ? ['--chunked'] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await readPort(child);
  const pid = child.pid;
  let stopped = false;

  return {
    port,
    pid,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    latencyMs: options.latencyMs ?? 0,
    stats: () => getJson(port, '/_bench/stats'),
    /** Starts a new "most requests in flight" count (stats().maxInflight). */
    resetPeak: () => getJson(port, '/_bench/reset-peak'),
    cpuMs: () => readCpuMs(pid),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function readPort(child) {
  return new Promise((resolve, reject) => {
    let text = '';
    const fail = (reason) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`bench server did not start: ${reason} ${text.slice(0, 200)}`));
    };
    const onData = (chunk) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        cleanup();
        try {
          resolve(JSON.parse(text.slice(0, newline)).port);
        } catch (error) {
          reject(error);
        }
      } else if (text.length > 4096) {
        fail('no port line');
      }
    };
    const onExit = (code, signal) => fail(`exit ${code ?? signal}`);
    const timer = setTimeout(() => fail('timeout'), START_TIMEOUT_MS);
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      // keep draining stdout so the server never blocks on a full pipe
      child.stdout.resume();
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error.message));
  });
}

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on('error', reject);
  });
}
