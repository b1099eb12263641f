// `memsafe monitor`: watch and guard a process's memory (`--pid PID`, or a command started after `--`).
import { type Command, Option } from 'commander';
import { action } from '../action.js';

export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .description("Watch and guard a process's memory, live, with a log and a chart")
    .argument('[command...]', 'a command to start and watch (after --); its exit code becomes ours')
    .addOption(new Option('--pid <pid>', 'watch a running process'))
    .addOption(new Option('--interval <duration>', 'time between samples').default('1s'))
    .addOption(new Option('--duration <duration>', 'stop watching after this long'))
    .addOption(new Option('--children', 'sum the whole process tree, picking up new children as they appear'))
    .addOption(new Option('--warn <size>', 'warn at this RSS (size, or % of the cgroup limit, else of physical memory)').default('1GB'))
    .addOption(new Option('--max <size>', 'act at this RSS (size or %)').default('1.5GB'))
    .addOption(new Option('--action <action>', 'at --max: none, term (SIGTERM, then SIGKILL after --grace if still above), kill').default('none'))
    .addOption(new Option('--grace <duration>', 'after SIGTERM, wait this long before SIGKILL').default('10s'))
    .addOption(new Option('--json', 'JSON lines on stdout even on a terminal (the default off a terminal)'))
    .addOption(new Option('--log <file.jsonl>', 'write samples, events and the summary as JSON lines'))
    .addOption(new Option('--plot <file>', 'write a self-contained chart at the end: FILE.html or FILE.svg'))
    .addOption(new Option('--gpu', 'sample per-process GPU memory with nvidia-smi (MEMSAFE_NVIDIA_SMI names another binary)'))
    .addHelpText(
      'after',
      `
Examples:
  memsafe monitor --pid 1234 --warn 70% --max 90% --log ollama.jsonl
  memsafe monitor --max 6GB --action term --plot embed.html -- python embed.py --batch 64

A started command shares this terminal (its output goes to the same stdout/stderr) and runs in its own
process group: Ctrl-C and SIGTERM are forwarded to it.
Exit codes: 75 the guard terminated the process at --max · with -- CMD, the command's own code
(128 + signal number when a signal ended it) · with --pid, 0 when the process ended or --duration elapsed,
130/143 on SIGINT/SIGTERM · 2 bad pid or options.`,
    )
    .action(
      action(async (args: string[], _options: unknown, command: Command) => {
        const { parseMonitorOptions } = await import('../../monitor/options.js');
        const { runMonitor } = await import('../../monitor/run-monitor.js');
        return runMonitor(parseMonitorOptions(command, args, process.env));
      }),
    );
}
