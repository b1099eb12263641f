// `memsafe status`: what a checkpoint holds and how its last runs ended. Reads only, so it works during a run.
import { type Command, Option } from 'commander';
import type { StatusSnapshot } from '../../checkpoint/status-snapshot.js';
import { ExitCode } from '../../errors.js';
import { action } from '../action.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show done and failed records, stored embedding vectors and the last runs of a checkpoint (safe during a run)')
    .addOption(new Option('--db <file>', 'checkpoint file to read').makeOptionMandatory())
    .addOption(new Option('--json', 'print one JSON object for scripts instead of the table'))
    .addOption(new Option('--runs <n>', 'how many of the latest runs to list').default('10'))
    .action(
      action(async (_options: unknown, command: Command) => {
        const { validateOptions } = await import('../../config/validate.js');
        const options = validateOptions(command, ({ z, fields }) =>
          z.object({ db: fields.text(), json: z.boolean().optional(), runs: fields.integer(0) }),
        );
        const fs = await import('node:fs');
        const path = await import('node:path');
        const { openCheckpoint } = await import('../../checkpoint/open.js');
        const { readStatusSnapshot } = await import('../../checkpoint/status-snapshot.js');
        const { renderStatus, statusJson } = await import('../../output/status-view.js');
        const { listBatches } = await import('../../checkpoint/batch-batches.js');
        const { batchesJson, renderBatches } = await import('../../output/batch-view.js');
        const db = openCheckpoint(options.db, { create: false, readonly: true });
        let snapshot: StatusSnapshot;
        let batches: ReturnType<typeof listBatches>;
        try {
          snapshot = readStatusSnapshot(db, options.runs);
          batches = listBatches(db);
        } finally {
          db.close();
        }
        // The -wal file holds commits not yet folded into the main file: part of the checkpoint's size.
        const sizeBytes = [options.db, `${options.db}-wal`]
          .map((file) => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0)
          .reduce((sum, size) => sum + size, 0);
        const report = { checkpoint: { path: path.resolve(options.db), sizeBytes }, ...snapshot };
        process.stdout.write(
          options.json === true ? `${JSON.stringify({ ...statusJson(report), batches: batchesJson(batches) })}\n` : renderStatus(report) + renderBatches(batches),
        );
        return ExitCode.ok;
      }),
    );
}
