// Command-line rewrites that commander cannot express.

/** `memsafe run --mode monitor ...` is `memsafe monitor ...`: the monitor has options of its own. */
export function aliasMonitorMode(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  if (args[0] !== 'run') return [...argv];
  const end = args.indexOf('--');
  const head = end === -1 ? args : args.slice(0, end);
  for (let i = 1; i < head.length; i++) {
    const arg = head[i];
    const joined = arg === '--mode=monitor';
    if (joined || (arg === '--mode' && head[i + 1] === 'monitor')) {
      const rest = [...args.slice(1, i), ...args.slice(i + (joined ? 1 : 2))];
      return [...argv.slice(0, 2), 'monitor', ...rest];
    }
  }
  return [...argv];
}
