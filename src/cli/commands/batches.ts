// `memsafe batches`: the Batch API batches of a checkpoint; `memsafe batches cancel` stops the live ones and
// collects what they finished. Heavy modules load only when the command runs.
import { type Command, Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { action } from '../action.js';

export function registerBatches(program: Command): void {
  const batches = program
    .command('batches')
    .description('list the Batch API batches of a checkpoint (--via batch runs)')
    // Not mandatory here: commander would demand it of `batches cancel` too, before its own --db is read.
    .addOption(new Option('--db <file>', 'checkpoint file to read'))
    .addOption(new Option('--json', 'print JSON lines instead of the table'))
    .action(
      action(async (options: { db?: string; json?: boolean }) => {
        if (options.db === undefined) {
          const { UsageError } = await import('../../errors.js');
          throw new UsageError('Missing `--db FILE`: the checkpoint whose batches to list', { code: 'MS_NO_DB' });
        }
        const { openCheckpoint } = await import('../../checkpoint/open.js');
        const { listBatches } = await import('../../checkpoint/batch-batches.js');
        const { batchesJson, renderBatches } = await import('../../output/batch-view.js');
        const db = openCheckpoint(options.db, { create: false, readonly: true });
        try {
          const rows = listBatches(db);
          if (options.json === true) for (const row of batchesJson(rows)) process.stdout.write(`${JSON.stringify(row)}\n`);
          else process.stdout.write(rows.length === 0 ? 'no batches\n' : renderBatches(rows).trimStart());
        } finally {
          db.close();
        }
        return ExitCode.ok;
      }),
    );
  batches
    .command('cancel')
    .description('cancel the live batches of a checkpoint and collect what they finished (the rest is resubmitted by the next run)')
    .addOption(new Option('--base-url <url>', 'API base URL (default: $OPENAI_BASE_URL or OpenAI; for a checkpoint of Anthropic batches $ANTHROPIC_BASE_URL or Anthropic)').env('MEMSAFE_BASE_URL'))
    .addOption(new Option('--poll-interval <duration>', 'time between polls while a batch stops').default('5s'))
    .action(
      action(async (_options: unknown, command: Command) => {
        // --db is the parent's option: commander reads it wherever it stands on the line.
        const options = command.optsWithGlobals<{ db?: string; baseUrl?: string; pollInterval: string }>();
        const { UsageError } = await import('../../errors.js');
        const db = options.db;
        if (db === undefined) throw new UsageError('Missing `--db FILE`: the checkpoint whose batches to cancel', { code: 'MS_NO_DB' });
        const [{ BatchClient }, { OPENAI_DEFAULT_BASE_URL }, { cancelBatches }, { parseDuration }] = await Promise.all([
          import('../../provider/batch-client.js'),
          import('../../provider/openai.js'),
          import('../../batch/batch-cancel.js'),
          import('../../config/units.js'),
        ]);
        const pollIntervalMs = parseDuration(options.pollInterval);
        if (pollIntervalMs === undefined) {
          throw new UsageError(`Expected \`--poll-interval\` to be a duration like 5s, got \`${options.pollInterval}\``, { code: 'MS_BAD_OPTION' });
        }
        // The checkpoint says whose batches they are: Anthropic's are cancelled with its own key and base URL.
        const { livePrimaryProvider } = await import('../../checkpoint/batch-batches.js');
        const { openCheckpoint } = await import('../../checkpoint/open.js');
        const reader = openCheckpoint(db, { create: false, readonly: true });
        const anthropic = (() => {
          try {
            return livePrimaryProvider(reader) === 'anthropic';
          } finally {
            reader.close();
          }
        })();
        const key = process.env[anthropic ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY']?.trim();
        const common = { apiKey: key === '' ? undefined : key, headers: [], timeoutMs: 60_000, maxRetries: 5 };
        let client: Pick<InstanceType<typeof BatchClient>, 'getBatch' | 'downloadLines' | 'cancelBatch' | 'close'>;
        if (anthropic) {
          const { AnthropicBatchClient } = await import('../../provider/anthropic-batch-client.js');
          const { ANTHROPIC_DEFAULT_BASE_URL } = await import('../../provider/anthropic-defaults.js');
          client = new AnthropicBatchClient({ ...common, baseUrl: options.baseUrl ?? (process.env['ANTHROPIC_BASE_URL']?.trim() || ANTHROPIC_DEFAULT_BASE_URL) });
        } else {
          client = new BatchClient({ ...common, baseUrl: options.baseUrl ?? (process.env['OPENAI_BASE_URL']?.trim() || OPENAI_DEFAULT_BASE_URL) });
        }
        try {
          const result = await cancelBatches({ db, client, pollIntervalMs, maxResponseBytes: 8 * 1024 * 1024, log: (line) => process.stderr.write(`memsafe: ${line}\n`) });
          process.stderr.write(`memsafe: ${result.cancelled} batch(es) cancelled, ${result.collected} collected; run the job again to resubmit what they did not finish\n`);
        } finally {
          await client.close();
        }
        return ExitCode.ok;
      }),
    );
  batches.commands.forEach((command) => command.exitOverride());
}
