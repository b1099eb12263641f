// Placeholder until the command is implemented.
import type { Command } from 'commander';

export function registerMonitor(_program: Command): void {}
