// One place turns commander's raw option values into typed options, or into a UsageError that names
// the option as the user gave it (flag or environment variable), the value and what was expected.
// Commands import this module lazily, inside their action, so zod never loads for `memsafe --help`.
import type { Command } from 'commander';
import { z, type ZodError } from 'zod';
import { UsageError } from '../errors.js';
import { fields } from './fields.js';

/** Builds a schema from zod and the shared fields, so a command file needs no top-level zod import. */
export type SchemaFactory<S extends z.ZodType> = (kit: { readonly z: typeof z; readonly fields: typeof fields }) => S;

export function validateOptions<S extends z.ZodType>(command: Command, schema: S | SchemaFactory<S>): z.output<S> {
  const resolved = typeof schema === 'function' ? (schema as SchemaFactory<S>)({ z, fields }) : schema;
  const raw = command.opts();
  const result = resolved.safeParse(raw);
  if (result.success) return result.data;
  throw toUsageError(command, raw, result.error);
}

function toUsageError(command: Command, raw: Record<string, unknown>, error: ZodError): UsageError {
  const issue = error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const option = command.options.find((candidate) => candidate.attributeName() === key);
  const flag = option?.long ?? `--${key}`;
  const source = command.getOptionValueSource(key);
  const where = source === 'env' && option?.envVar !== undefined ? `\`${option.envVar}\` (environment)` : `\`${flag}\``;
  const value = raw[key];
  const shown = Array.isArray(value) ? value.map((entry) => String(entry)).join(', ') : String(value);
  const expected = issue?.code === 'custom' ? issue.message : (issue?.message ?? 'valid');
  return new UsageError(`Expected ${where} to be ${expected}, got \`${shown}\``, { code: 'MS_BAD_OPTION' });
}
