// Placeholder until the command is implemented.
import type { Command } from 'commander';

export function registerMockServer(_program: Command): void {}
