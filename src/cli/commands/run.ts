// `memsafe run --mode cache|embeddings`, and its aliases `memsafe cache` and `memsafe embeddings`.
import type { Command } from 'commander';
import { addRunOptions } from '../../config/run-flags.js';
import type { Mode } from '../../input/record.js';
import { action } from '../action.js';

export function registerRun(program: Command): void {
  const define = (name: string, mode: Mode | undefined, description: string) => {
    const command = program.command(name).description(description);
    addRunOptions(command, mode === undefined);
    command.action(
      action(async (_options: unknown, self: Command) => {
        const { runJob } = await import('../run-job.js');
        return runJob(self, mode);
      }),
    );
  };
  define('run', undefined, 'stream a JSONL file through the API into a resumable SQLite checkpoint (--mode cache|embeddings)');
  define('cache', 'cache', 'fill a checkpointed cache of chat responses (same as run --mode cache)');
  define('embeddings', 'embeddings', 'embed every text into a checkpoint (same as run --mode embeddings)');
}
