// Entry point: loads .env, parses the command line, and maps every outcome to an exit code. The only place that exits.
import './startup-flags.js';
import fs from 'node:fs';
import { CommanderError } from 'commander';
import { ExitCode, MemsafeError } from '../errors.js';
import { commandExitCode } from './action.js';
import { aliasMonitorMode } from './argv.js';
import { buildProgram } from './program.js';

function loadDotEnv(): void {
  // Flags > environment > .env > defaults: loadEnvFile never overrides a variable that is already set.
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // help and version are "errors" to commander's exitOverride, with exit code 0
    if (error.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage; // commander already printed "error: unknown option '--x'" and friends
  }
  if (error instanceof MemsafeError) {
    process.stderr.write(`memsafe: ${error.message}\n`);
    if (error.hint !== undefined) process.stderr.write(`  ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`memsafe: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.fatal;
}

async function main(): Promise<number> {
  try {
    loadDotEnv();
    await buildProgram().parseAsync(aliasMonitorMode(process.argv));
    return commandExitCode();
  } catch (error) {
    return report(error);
  }
}

const code = await main();
// Let stdout/stderr drain (a piped --json summary must not be cut), then exit even if a stray handle lingers.
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
