// The live view's chart: recent readings drawn with asciichart, with the --warn and --max lines.
import { createRequire } from 'node:module';

interface AsciiChart {
  plot(series: number[][], config: { height: number; format: (value: number) => string; colors?: string[]; offset?: number }): string;
  readonly blue: string;
  readonly yellow: string;
  readonly red: string;
}

// asciichart ships no types; one local interface covers the one call made here.
const asciichart = createRequire(import.meta.url)('asciichart') as AsciiChart;

const MIB = 1024 * 1024;
const LABEL_WIDTH = 10;

export interface TerminalChartInput {
  /** Oldest first; the rightmost `width` are drawn. */
  readonly values: readonly number[];
  readonly warnBytes: number;
  readonly maxBytes: number;
  /** Columns available for the whole chart, labels included. */
  readonly width: number;
  readonly height: number;
  readonly colors: boolean;
}

function label(mib: number): string {
  const text = mib >= 1024 ? `${(mib / 1024).toFixed(2)} GB` : `${mib.toFixed(mib >= 100 ? 0 : 1)} MB`;
  return text.padStart(LABEL_WIDTH);
}

export function renderTerminalChart(input: TerminalChartInput): string[] {
  const points = Math.max(2, input.width - LABEL_WIDTH - 2);
  const values = input.values.slice(-points).map((value) => value / MIB);
  if (values.length === 0) return ['(waiting for the first sample)'];
  const line = (bytes: number) => values.map(() => bytes / MIB);
  const plotted = asciichart.plot([values, line(input.warnBytes), line(input.maxBytes)], {
    height: Math.max(2, input.height - 1),
    format: label,
    offset: 2,
    ...(input.colors ? { colors: [asciichart.blue, asciichart.yellow, asciichart.red] } : {}),
  });
  return plotted.split('\n');
}
