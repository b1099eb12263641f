// Human sizes and durations: `1.5GB`, `800MB`, `75%`, `30s`, `2m`, `7d`.
import bytes from 'bytes';
import ms from 'ms';

export type SizeSpec =
  | { readonly kind: 'bytes'; readonly bytes: number }
  | { readonly kind: 'percent'; readonly percent: number };

const SIZE_PATTERN = /^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|pb)?\s*$/i;
const PERCENT_PATTERN = /^\s*(\d+(\.\d+)?)\s*%\s*$/;

/** `1.5GB` (1024-based, as `bytes` reads it), `800MB`, `65536`, or `75%`; undefined when it is neither. */
export function parseSize(text: string): SizeSpec | undefined {
  const percent = PERCENT_PATTERN.exec(text);
  if (percent?.[1] !== undefined) {
    const value = Number(percent[1]);
    return value > 0 && value <= 100 ? { kind: 'percent', percent: value } : undefined;
  }
  if (!SIZE_PATTERN.test(text)) return undefined;
  const value = bytes.parse(text.trim());
  return value === null || !Number.isFinite(value) || value <= 0 ? undefined : { kind: 'bytes', bytes: Math.round(value) };
}

/** Bytes of a size; a percentage is of `limitBytes` (the cgroup limit, else physical memory). */
export function resolveSize(spec: SizeSpec, limitBytes: number): number {
  return spec.kind === 'bytes' ? spec.bytes : Math.floor((limitBytes * spec.percent) / 100);
}

const DURATION_PATTERN = /^\s*\d+(\.\d+)?\s*(ms|s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w)\s*$/i;

/** Milliseconds of `30s`, `2m`, `1.5h`, `7d`, `250ms`; a bare number is refused as ambiguous (except 0). */
export function parseDuration(text: string): number | undefined {
  if (text.trim() === '0') return 0;
  if (!DURATION_PATTERN.test(text)) return undefined;
  const value = ms(text.trim().replace(/\s+/g, '') as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function formatBytes(value: number): string {
  return bytes.format(value, { unitSeparator: ' ', decimalPlaces: 1 }) ?? `${value} B`;
}

export function formatDuration(milliseconds: number): string {
  return ms(Math.max(0, Math.round(milliseconds)));
}
