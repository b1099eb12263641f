// How a run ended, as a status and an exit code (cli/main.ts exits with it).
import { ExitCode, type MemsafeError } from '../errors.js';
import type { EngineResult } from './engine-types.js';
import type { StopReason } from './stops/stop-control.js';

export function runOutcome(
  fatal: MemsafeError | undefined,
  reason: StopReason | undefined,
  failed: number,
): { status: EngineResult['status']; exitCode: number } {
  if (fatal !== undefined) return { status: 'error', exitCode: fatal.exitCode };
  switch (reason) {
    case 'SIGINT':
      return { status: 'interrupted', exitCode: ExitCode.sigint };
    case 'SIGTERM':
      return { status: 'interrupted', exitCode: ExitCode.sigterm };
    case 'breaker':
    case 'max-runtime':
    case 'budget':
      return { status: 'halted', exitCode: ExitCode.halted };
    default:
      return failed > 0 ? { status: 'done-with-failures', exitCode: ExitCode.someFailed } : { status: 'done', exitCode: ExitCode.ok };
  }
}
