// The programs under test: how each is started on an input and how its summary line is read.
// memsafe prints its --json summary; the scripts print {"records","done","failed"}.
// CONTENDERS run chat records (cache mode); EMBEDDING_CONTENDERS embed {"id","text"} records.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MEMSAFE_BIN = path.join(ROOT, 'bin/memsafe.js');

/**
 * @typedef {{input: string, work: string, baseUrl: string, concurrency: number, batchSize?: number, extraArgs?: string[], memsafeBin?: string}} RunParams
 * `work` is a path prefix in the temp dir owned by this run (database, output file).
 * @typedef {{done: number | undefined, failed: number | undefined, skipped?: number | undefined, selfPeakRssBytes?: number | undefined, selfElapsedMs?: number | undefined}} Summary
 */

/** Texts per request of the packed embedding contenders unless a scenario says otherwise. */
export const DEFAULT_EMBED_BATCH = 64;

/** @param {'cache' | 'embeddings'} mode @param {RunParams} p */
function memsafeArgs(mode, p) {
  return [
    p.memsafeBin ?? MEMSAFE_BIN, mode,
    '--input', p.input,
    '--db', `${p.work}.memsafe.db`,
    '--provider', 'openai',
    '--base-url', p.baseUrl,
    '--model', 'bench',
    '--concurrency', String(p.concurrency),
    ...(p.batchSize === undefined ? [] : ['--batch-size', String(p.batchSize)]),
    '--no-progress', '--json', '--log-level', 'warn',
    ...(p.extraArgs ?? []),
  ];
}

/** @returns {Summary} */
function memsafeSummary(stdout) {
  const json = lastJson(stdout);
  return {
    done: numberOrUndefined(json?.records?.done),
    failed: numberOrUndefined(json?.records?.failed),
    skipped: numberOrUndefined(json?.records?.skipped),
    selfPeakRssBytes: numberOrUndefined(json?.memory?.peak_rss_bytes),
    selfElapsedMs: numberOrUndefined(json?.elapsed_ms),
  };
}

export const CONTENDERS = {
  memsafe: {
    id: 'memsafe',
    label: 'memsafe cache',
    args: (p) => memsafeArgs('cache', p),
    summary: memsafeSummary,
  },
  stream: {
    id: 'stream',
    label: 'script A: openai SDK, streaming (readline + p-limit)',
    args: (p) => scriptArgs('baseline-stream.mjs', p),
    summary: scriptSummary,
  },
  'load-all': {
    id: 'load-all',
    label: 'script B: openai SDK, whole file in memory (Promise.all chunks)',
    args: (p) => scriptArgs('baseline-load-all.mjs', p),
    summary: scriptSummary,
  },
};

export const EMBEDDING_CONTENDERS = {
  memsafe: {
    id: 'memsafe',
    label: 'memsafe embeddings (packed)',
    args: (p) => memsafeArgs('embeddings', { ...p, batchSize: p.batchSize ?? DEFAULT_EMBED_BATCH }),
    summary: memsafeSummary,
  },
  stream: {
    id: 'stream',
    label: 'script A: openai SDK, streaming, one text per request',
    args: (p) => scriptArgs('baseline-embeddings-stream.mjs', p),
    summary: scriptSummary,
  },
  'load-all': {
    id: 'load-all',
    label: 'script B: openai SDK, whole file in memory, packed (Promise.all chunks)',
    args: (p) => [...scriptArgs('baseline-embeddings-load-all.mjs', p), '--batch-size', String(p.batchSize ?? DEFAULT_EMBED_BATCH)],
    summary: scriptSummary,
  },
};

function scriptArgs(script, p) {
  return [
    fileURLToPath(new URL(`./${script}`, import.meta.url)),
    '--input', p.input,
    '--output', `${p.work}.out.jsonl`,
    '--base-url', p.baseUrl,
    '--model', 'bench',
    '--concurrency', String(p.concurrency),
  ];
}

function scriptSummary(stdout) {
  const json = lastJson(stdout);
  return { done: numberOrUndefined(json?.done), failed: numberOrUndefined(json?.failed) };
}

/** The whole stdout as JSON, else its last line that parses as a JSON object. */
export function lastJson(stdout) {
  const text = stdout.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    for (const line of text.split('\n').reverse()) {
      if (!line.trim().startsWith('{')) continue;
      try {
        return JSON.parse(line);
      } catch {
        // not a JSON line; keep looking
      }
    }
  }
  return undefined;
}

function numberOrUndefined(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Removes everything a run left under its `work` prefix, so the next run starts clean and disk stays small. */
export function removeWork(work) {
  const dir = path.dirname(work);
  const base = path.basename(work);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (name.startsWith(`${base}.`)) fs.rmSync(path.join(dir, name), { force: true, recursive: true });
  }
}

/** A warning when memsafe cannot run as built, or when src/ changed after the last build. */
export function memsafeBuildWarning() {
  const distMain = path.join(ROOT, 'dist/cli/main.js');
  if (!fs.existsSync(distMain)) return 'dist/ is missing: run `npm run build` first';
  const newestSrc = newestMtime(path.join(ROOT, 'src'), '.ts');
  const newestDist = newestMtime(path.join(ROOT, 'dist'), '.js');
  return newestSrc > newestDist ? 'src/ changed after the last build: run `npm run build` for current numbers' : undefined;
}

function newestMtime(dir, extension) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(extension)) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}
