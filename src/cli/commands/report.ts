// Placeholder until the command is implemented.
import type { Command } from 'commander';

export function registerReport(_program: Command): void {}
