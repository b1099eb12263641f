// The response-cache key: identical requests hash the same under any id and any key order.
import { createHash } from 'node:crypto';
import type { Endpoint } from './record.js';

/**
 * JSON with object keys sorted recursively (by UTF-16 code units) and no whitespace. Values follow
 * JSON.stringify: `undefined` and functions are left out of objects and become null in arrays.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const fields: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined || typeof item === 'function') continue;
      fields.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
    }
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 hex of the canonical JSON of {endpoint, body}. */
export function requestHash(endpoint: Endpoint, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ endpoint, body })).digest('hex');
}
