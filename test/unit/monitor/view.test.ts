import { describe, expect, it } from 'vitest';
import type { MonitorEvent, Sample } from '../../../src/monitor/sample.js';
import { frame, renderView, type ViewState } from '../../../src/monitor/view.js';
import { NO_TREND } from '../../../src/monitor/trend.js';

const MB = 1024 * 1024;
const T0 = 1_700_000_000_000;

const latest: Sample = {
  t: T0 + 60_000,
  pid: 4242,
  rssBytes: 120 * MB,
  cpu: 12.5,
  procs: 3,
  cgroup: { version: 2, currentBytes: 200 * MB, workingSetBytes: 180 * MB, peakBytes: undefined, limitBytes: 1024 * MB, events: { high: 0, max: 0, oom: 0, oomKill: 2 } },
  pressure: { someAvg10: 1.5, fullAvg10: 0.2, scope: 'cgroup' },
  gpuBytes: 512 * MB,
};

const events: MonitorEvent[] = Array.from({ length: 8 }, (_, index) => ({ t: T0 + index * 1000, kind: 'warn', message: `event number ${index}` }));

function state(overrides: Partial<ViewState> = {}): ViewState {
  return {
    pid: 4242,
    command: 'python',
    startedAt: T0,
    now: T0 + 60_000,
    samples: 61,
    latest,
    peakBytes: 130 * MB,
    limitBytes: 1024 * MB,
    limitSource: 'cgroup',
    warnBytes: 800 * MB,
    maxBytes: 900 * MB,
    action: 'term',
    trend: { floors: 10, samples: 100, mbPerMinute: 12.34, leakSuspected: true, forecastMs: 180_000, climbing: false },
    recent: Array.from({ length: 300 }, (_, index) => (100 + (index % 20)) * MB),
    events,
    ...overrides,
  };
}

const SCREEN = { columns: 100, rows: 40, colors: false };

describe('renderView', () => {
  it('shows current, peak and limit, CPU, trend and forecast', () => {
    const text = renderView(state(), SCREEN).join('\n');
    expect(text).toContain('pid 4242 (python)');
    expect(text).toContain('120 MB now');
    expect(text).toContain('peak 130 MB');
    expect(text).toContain('limit 1 GB (cgroup)');
    expect(text).toContain('11.7% of limit');
    expect(text).toContain('cpu      12.5% · 3 processes');
    expect(text).toContain('+12.3 MB/min (suspected leak), --max in ~3m');
    expect(text).toContain('guard    warn 800 MB · max 900 MB · action term');
    expect(text).toContain('cgroup working set 180 MB of 1 GB · 2 OOM kills · pressure 1.50% (cgroup) · gpu 512 MB');
  });

  it('draws the recent samples with the warn and max lines, within the screen', () => {
    const lines = renderView(state(), SCREEN);
    const chart = lines.filter((line) => line.includes('┤') || line.includes('┼'));
    expect(chart.length).toBeGreaterThanOrEqual(4);
    expect(chart.some((line) => line.includes('900 MB'))).toBe(true); // the top of the axis is the max line
    for (const line of chart) expect(line.endsWith('…')).toBe(false); // sized to fit, not cut
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(SCREEN.columns);
  });

  it('lists the last five events, newest last', () => {
    const text = renderView(state(), SCREEN).join('\n');
    expect(text).not.toContain('event number 2');
    expect(text).toContain('event number 3');
    expect(text.indexOf('event number 3')).toBeLessThan(text.indexOf('event number 7'));
  });

  it('has a first frame before any sample', () => {
    const trend = NO_TREND;
    const text = renderView(state({ latest: undefined, recent: [], events: [], samples: 0, trend }), SCREEN).join('\n');
    expect(text).toContain('waiting for the first sample');
    expect(text).toContain('(none)');
    expect(text).toContain('trend    not enough samples yet');
  });

  it('cuts long lines to a narrow screen', () => {
    const lines = renderView(state(), { columns: 40, rows: 20, colors: false });
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
  });

  it('colours the chart only when asked', () => {
    expect(renderView(state(), SCREEN).join('\n')).not.toContain('\u001b[');
    expect(renderView(state(), { ...SCREEN, colors: true }).join('\n')).toContain('\u001b[');
  });
});

describe('frame', () => {
  it('redraws in place: cursor home, each line cleared to its end, the rest of the screen cleared', () => {
    expect(frame(['a', 'b'])).toBe('\u001b[Ha\u001b[K\nb\u001b[K\n\u001b[J');
  });
});
