// A fatal error (auth, quota, unreachable API, checkpoint failure, a bug): the run stops at once. Like every other
// stop cause it fires the stopping signal (stop-control.ts, which records the `stop` event), then cuts requests.
import { checkpointFailure, sqliteCode } from '../../checkpoint/sqlite-failure.js';
import { FatalError, type MemsafeError, ProviderError, errorMessage } from '../../errors.js';
import type { StopControl } from './stop-control.js';

export class FatalStop {
  private errorValue: MemsafeError | undefined;

  constructor(
    private readonly stops: StopControl,
    private readonly checkpointFile: string,
    /** Records the `fatal` event (with a redacted message). */
    private readonly onFatal: (error: MemsafeError) => void,
  ) {}

  get error(): MemsafeError | undefined {
    return this.errorValue;
  }

  /** The first fatal error is the one reported; later ones are its consequences. */
  fail(error: unknown): void {
    if (this.errorValue !== undefined) return;
    const fatal = asMemsafeError(error, this.checkpointFile);
    this.errorValue = fatal;
    this.stops.stop('fatal');
    this.stops.abortRequests(fatal);
    this.onFatal(fatal);
  }
}

function asMemsafeError(error: unknown, checkpointFile: string): MemsafeError {
  if (error instanceof ProviderError || error instanceof FatalError || isMemsafeError(error)) return error as MemsafeError;
  if (sqliteCode(error) !== undefined) return checkpointFailure(checkpointFile, error, 'use', 'MS_CHECKPOINT');
  return new FatalError(`run failed: ${errorMessage(error)}`, { code: 'MS_INTERNAL', cause: error });
}

function isMemsafeError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'exitCode' in error && 'code' in error;
}
