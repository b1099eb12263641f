// `memsafe report`: an HTML page of the memory samples, governor states and breaker trips a run stored in its checkpoint.
import { type Command, Option } from 'commander';
import { action } from '../action.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("Render the memory samples of a checkpoint's runs as a self-contained HTML page")
    .addOption(new Option('--db <file>', 'the checkpoint a run wrote').makeOptionMandatory())
    .addOption(new Option('--out <file.html>', 'the HTML file to write').makeOptionMandatory())
    .addOption(new Option('--runs <n>', 'draw the latest N runs').default('20'))
    .addHelpText(
      'after',
      `
Per run: RSS and heap over time with the governor's CAUTIOUS/BREAKER spans shaded and breaker trips marked,
batch size and concurrency, and throughput. The page needs no network (no scripts, no CDN).
Example: memsafe report --db prompts.memsafe.db --out last-night.html`,
    )
    .action(
      action(async (_options: unknown, command: Command) => {
        const { validateOptions } = await import('../../config/validate.js');
        const { runReport } = await import('../../monitor/report.js');
        const options = validateOptions(command, ({ z, fields }) => z.object({ db: fields.text(), out: fields.text(), runs: fields.integer(1) }));
        return runReport(options);
      }),
    );
}
