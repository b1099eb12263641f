// The commander program. Each command file registers its options and loads its heavy modules only when run,
// so `memsafe --help` stays close to bare node.
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerBatches } from './commands/batches.js';
import { registerExport } from './commands/export.js';
import { registerMockServer } from './commands/mock-server.js';
import { registerMonitor } from './commands/monitor.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('memsafe')
    .description('Memory-safe, resumable batch runner for LLM chat and embedding jobs over big JSONL files')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.addHelpText(
    'after',
    `
Exit codes: 0 done · 3 finished, some records failed · 4 checkpoint held by another run ·
75 halted (memory breaker or --max-runtime; run the same command again to resume) ·
2 usage error · 1 fatal error · 130/143 interrupted by SIGINT/SIGTERM after a clean checkpoint`,
  );
  registerRun(program);
  registerMonitor(program);
  registerStatus(program);
  registerExport(program);
  registerBatches(program);
  registerReport(program);
  registerMockServer(program);
  // Subcommands inherit exitOverride so parse errors reach main.ts as exceptions.
  for (const command of program.commands) command.exitOverride();
  return program;
}
