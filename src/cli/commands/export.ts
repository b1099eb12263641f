// Placeholder until the command is implemented.
import type { Command } from 'commander';

export function registerExport(_program: Command): void {}
