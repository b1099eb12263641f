// Commands return their exit code instead of exiting: main.ts is the only place that exits.
let lastExitCode = 0;

export function action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    lastExitCode = await run(...args);
  };
}

export function commandExitCode(): number {
  return lastExitCode;
}
