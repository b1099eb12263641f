// Runs an HTTP load generator against the bench server for a fixed time: autocannon (a devDependency, run with
// this Node) or the built-in one (load-generator.mjs). Both keep `connections` keep-alive sockets busy with the
// same POST, one request at a time per socket.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { lastJson } from './contenders.mjs';
import { stderrSummary } from './report.mjs';

const BUILTIN = fileURLToPath(new URL('./load-generator.mjs', import.meta.url));
/** Start-up and the summary after the timed run. */
const START_ALLOWANCE_MS = 30_000;

/**
 * @param {{tool: 'autocannon' | 'builtin', url: string, body: string, connections: number, durationMs: number, onSpawn?: (child: import('node:child_process').ChildProcess) => void}} options
 * @returns {Promise<{tool: string, requestsPerSecond?: number, requests?: number, errors?: number, durationMs?: number, failure?: string}>}
 */
export async function runLoadGenerator(options) {
  const { tool, url, body, connections, durationMs } = options;
  const [command, args] = tool === 'autocannon'
    ? [process.execPath, [autocannonBin(), '--json', '--connections', String(connections), '--duration', String(durationMs / 1000),
      '--method', 'POST', '--headers', 'content-type=application/json', '--headers', 'authorization=Bearer sk-bench-local',
      '--body', body, url]]
    : [process.execPath, [BUILTIN, '--url', url, '--body', body, '--connections', String(connections), '--duration-ms', String(durationMs)]];
  const result = await capture(command, args, durationMs + START_ALLOWANCE_MS, options.onSpawn);
  if (result.failure !== undefined) return { tool, failure: result.failure };
  const json = lastJson(result.stdout);
  if (tool === 'autocannon') {
    const ok = json?.['2xx'];
    const seconds = json?.duration;
    if (typeof ok !== 'number' || typeof seconds !== 'number' || seconds <= 0) return { tool, failure: 'no autocannon JSON on stdout' };
    return { tool, requestsPerSecond: ok / seconds, requests: ok, errors: (json.errors ?? 0) + (json.non2xx ?? 0), durationMs: seconds * 1000 };
  }
  if (typeof json?.requestsPerSecond !== 'number') return { tool, failure: 'no summary on stdout' };
  return { tool, requestsPerSecond: json.requestsPerSecond, requests: json.requests, errors: json.errors + json.non2xx, durationMs: json.durationMs };
}

/** autocannon's CLI script, resolved from this project's node_modules. */
function autocannonBin() {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('autocannon/package.json');
  const { bin } = require('autocannon/package.json');
  return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin.autocannon);
}

function capture(command, args, timeoutMs, onSpawn) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      if (stdout.length < 1024 * 1024) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-8192);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ stdout, failure: `could not start ${command}: ${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ stdout, failure: 'timed out, killed' });
      else if (code !== 0) resolve({ stdout, failure: `exit ${code ?? signal}: ${stderrSummary(stderr)}` });
      else resolve({ stdout });
    });
  });
}
