// `npm run bench`: runs each benchmark scenario (a list; each produces markdown tables), prints the tables,
// and writes them into docs/BENCHMARKS.md. Inputs live in a temp dir removed at the end; every child process
// and server has a time limit; all traffic stays on 127.0.0.1. See docs/BENCHMARKS.md "## Method".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeChatInput, writeTextInput } from './bench/input.mjs';
import { ROOT } from './bench/contenders.mjs';
import { updateBenchmarksDoc } from './bench/docs.mjs';
import { HELP, parseBenchOptions, selects } from './bench/options.mjs';
import { loadLine, machineInfo, machineLine } from './bench/report.mjs';
import { batchScenario } from './bench/scenario-batch.mjs';
import { bigAnswersScenario } from './bench/scenario-big-answers.mjs';
import { cacheScenario } from './bench/scenario-cache.mjs';
import { ceilingScenario } from './bench/scenario-ceiling.mjs';
import { compareScenario } from './bench/scenario-compare.mjs';
import { embeddingsScenario } from './bench/scenario-embeddings.mjs';
import { latencyScenario } from './bench/scenario-latency.mjs';
import { pressureScenario } from './bench/scenario-pressure.mjs';
import { ratelimitScenario } from './bench/scenario-ratelimit.mjs';
import { resumeScenario } from './bench/scenario-resume.mjs';
import { startupScenario } from './bench/scenario-startup.mjs';
import { startBenchServer } from './bench/server-process.mjs';

/**
 * Add a scenario here: `{id, title, contenders: string[], run(ctx) -> Promise<{markdown}>}`; its docs block is
 * `<!-- bench:<id>:start/end -->`. ctx (createContext): options, tmpDir, log(text), childEnv, wants(scenario,
 * contender), cellTimeoutMs(records), track(child), input(count, 'chat' | 'text') -> path,
 * startServer({responseBytes, dimensions, latencyMs}).
 */
const SCENARIOS = [
  startupScenario, cacheScenario, pressureScenario, bigAnswersScenario, embeddingsScenario, latencyScenario, ceilingScenario,
  resumeScenario, compareScenario, batchScenario, ratelimitScenario,
];
/** The docs block that records when the last full run was made and how long it took. */
const RUN_BLOCK = 'run';
const DOC = path.join(ROOT, 'docs/BENCHMARKS.md');
/** Not a credential: the bench server accepts anything, and the SDK refuses to start without a key. */
const PLACEHOLDER_KEY = 'sk-bench-local-not-a-key';

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The environment of every contender: nothing from the caller's MEMSAFE_/OPENAI_ settings leaks in. */
function contenderEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MEMSAFE_') || key.startsWith('OPENAI_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, OPENAI_API_KEY: PLACEHOLDER_KEY };
}

function createContext(options, tmpDir, resources) {
  const inputs = new Map();
  return {
    options,
    tmpDir,
    log,
    childEnv: contenderEnv(),
    wants: (scenarioId, contenderId) => selects(options.only, scenarioId, contenderId),
    cellTimeoutMs: (records) => options.cellTimeoutMs ?? 120_000 + records * 2,
    track(child) {
      resources.children.add(child);
      child.once('exit', () => resources.children.delete(child));
    },
    /** The generated input of `count` chat records or `{"id","text"}` texts, written once and shared. */
    input(count, kind = 'chat') {
      const key = `${kind}-${count}`;
      if (!inputs.has(key)) {
        const file = path.join(tmpDir, `${key}.jsonl`);
        log(`generating ${count} ${kind} records`);
        const write = kind === 'text' ? writeTextInput : writeChatInput;
        inputs.set(key, write(file, count).then(() => file));
      }
      return inputs.get(key);
    },
    async startServer(serverOptions) {
      const server = await startBenchServer(serverOptions);
      resources.servers.add(server);
      return server;
    },
  };
}

/** By default only a full run (default sizes, every contender) replaces the numbers in the docs. */
function writesDocs(options, scenario, ctx) {
  if (options.docs !== 'auto') return options.docs === 'force';
  const partial = scenario.contenders.some((contender) => !ctx.wants(scenario.id, contender));
  return !options.reduced && !partial;
}

async function cleanUp(tmpDir, resources) {
  for (const child of resources.children) child.kill('SIGKILL');
  for (const server of resources.servers) await server.stop().catch(() => {});
  fs.rmSync(tmpDir, { recursive: true, force: true });
}

async function main() {
  const scenarioIds = SCENARIOS.map((scenario) => scenario.id);
  let options;
  try {
    options = parseBenchOptions(process.argv.slice(2), SCENARIOS);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\nRun \`npm run bench -- --help\` for the options.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP.replace('{scenarios}', scenarioIds.join(', ')));
    return 0;
  }

  const selected = SCENARIOS.filter((scenario) => selects(options.only, scenario.id));
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-bench-'));
  const resources = { children: new Set(), servers: new Set(), stopping: false };
  const ctx = createContext(options, tmpDir, resources);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      resources.stopping = true;
      void cleanUp(tmpDir, resources).finally(() => process.exit(code));
    });
  }

  let exitCode = 0;
  const skippedDocs = [];
  const runStartedAt = performance.now();
  const runStartedIso = machineInfo().date;
  const runLoadBefore = os.loadavg();
  try {
    for (const scenario of selected) {
      log(`scenario ${scenario.id} · load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`);
      const startedAt = performance.now();
      const loadBefore = os.loadavg();
      let markdown;
      let failed = false;
      try {
        ({ markdown } = await scenario.run(ctx));
      } catch (error) {
        if (resources.stopping) break; // the signal handler cleans up and exits
        failed = true;
        exitCode = 1;
        markdown = `Scenario failed: ${error instanceof Error ? error.message : String(error)}`;
        log(markdown);
      }
      const block = `_${machineLine(machineInfo())}_\n_${loadLine(loadBefore, os.loadavg(), performance.now() - startedAt)}_\n\n${markdown}`;
      process.stdout.write(`## ${scenario.title}\n\n${block}\n\n`);
      if (!failed && writesDocs(options, scenario, ctx)) {
        const how = updateBenchmarksDoc(DOC, scenario.id, scenario.title, block);
        log(`docs/BENCHMARKS.md: ${how} block bench:${scenario.id}`);
      } else if (options.docs !== 'never') {
        skippedDocs.push(scenario.id);
      }
    }
    const took = `started ${runStartedIso}, took ${((performance.now() - runStartedAt) / 60_000).toFixed(1)} min. ${loadLine(runLoadBefore, os.loadavg())}.`;
    log(`bench run of ${selected.map((scenario) => scenario.id).join(', ')}: ${took}`);
    const summary = `Last full run of every scenario (\`npm run bench\`): ${took}`;
    if (skippedDocs.length > 0) {
      log(`docs/BENCHMARKS.md not updated for ${skippedDocs.join(', ')} (failed, or not a full run; --write-docs forces it)`);
    } else if (options.docs !== 'never' && selected.length === SCENARIOS.length && exitCode === 0 && !resources.stopping) {
      updateBenchmarksDoc(DOC, RUN_BLOCK, 'Last full run', summary);
    }
  } finally {
    await cleanUp(tmpDir, resources);
  }
  return exitCode;
}

process.exitCode = await main();
