// `memsafe export`: the results (or, with --errors, the failures) of one or more checkpoints as one file or stream.
import { type Command, Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { action } from '../action.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the results of checkpoints in input line order (OpenAI Batch output lines by default)')
    .addOption(
      new Option('--db <file>', 'checkpoint file to read; repeat it to concatenate shards, each in line order')
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--format <name>',
        'openai-batch, jsonl or csv (chat and embeddings records each in their own shape), or npy: a float32 matrix of ' +
          'every embedded text, with its row ids (`id<TAB>index` lines) in <out>.ids.tsv',
      ).default('openai-batch'),
    )
    .addOption(new Option('--errors', 'write the failed lines (bad input and duplicate ids included) instead of the results'))
    .addOption(
      new Option('--out <file>', 'output file, created 0600; a name ending in .gz is gzip-compressed (default: stdout; npy needs <name>.npy)'),
    )
    .action(
      action(async (_options: unknown, command: Command) => {
        const { EXPORT_FORMAT_NAMES, exportCheckpoints } = await import('../../output/export.js');
        const { validateOptions } = await import('../../config/validate.js');
        const options = validateOptions(command, ({ z, fields }) =>
          z.object({
            db: z.array(fields.text()).min(1),
            format: fields.choice(EXPORT_FORMAT_NAMES),
            errors: z.boolean().optional(),
            out: fields.text().optional(),
          }),
        );
        const result = await exportCheckpoints({
          checkpoints: options.db,
          format: options.format,
          errors: options.errors === true,
          out: options.out,
        });
        if (result.npy !== undefined) {
          const { vectors, dim, idsFile, leftOut } = result.npy;
          const left = leftOut > 0 ? `; ${leftOut} chat records have no vectors and were left out` : '';
          process.stderr.write(
            `memsafe: wrote ${vectors} vectors of dimension ${dim} (from ${result.rows} records) to ${result.output}, row ids to ${idsFile}${left}\n`,
          );
        } else if (result.output !== 'stdout') {
          const what = options.errors === true ? 'failed lines' : 'records';
          process.stderr.write(`memsafe: wrote ${result.rows} ${what} to ${result.output}\n`);
        }
        return ExitCode.ok;
      }),
    );
}
