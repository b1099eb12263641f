// The --wait progress line: batches and records, redrawn in place on a TTY, a plain log line per poll elsewhere.
export interface BatchProgressState {
  readonly batchesLive: number;
  readonly batchesTotal: number;
  readonly recordsInFlight: number;
  readonly done: number;
  readonly failed: number;
}

export interface BatchProgress {
  update(state: BatchProgressState): void;
  stop(): void;
}

export function formatBatchProgress(state: BatchProgressState): string {
  return `batches ${state.batchesLive} live / ${state.batchesTotal} · records ${state.recordsInFlight} in flight, ${state.done} done, ${state.failed} failed`;
}

export function createBatchProgress(options: {
  readonly enabled: boolean;
  readonly tty: boolean;
  readonly stream: NodeJS.WritableStream;
  readonly log: (line: string) => void;
}): BatchProgress {
  let drawn = false;
  return {
    update(state) {
      if (!options.enabled) return;
      const line = formatBatchProgress(state);
      if (!options.tty) return options.log(line);
      options.stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    stop() {
      if (drawn) options.stream.write('\n');
      drawn = false;
    },
  };
}
