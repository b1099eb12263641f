import { describe, expect, it } from 'vitest';
import { niceStep, renderSvgChart, type ChartSpec } from '../../../src/monitor/chart.js';
import { renderPlot, type MonitorPlot } from '../../../src/monitor/plot.js';
import type { MonitorEvent } from '../../../src/monitor/sample.js';
import { findAll, parseXml, polylinePointCount } from './xml-check.js';

const MB = 1024 * 1024;
const T0 = 1_700_000_000_000;

function plot(samples: number, events: MonitorEvent[] = []): MonitorPlot {
  return {
    pid: 4242,
    points: Array.from({ length: samples }, (_, index) => ({ t: T0 + index * 1000, rss: (50 + index) * MB })),
    sampleCount: samples,
    events,
    warnBytes: 80 * MB,
    maxBytes: 150 * MB,
    startedAt: T0,
  };
}

describe('renderSvgChart', () => {
  it('draws one polyline point per sample, and a step series with its risers', () => {
    const spec: ChartSpec = {
      title: 'batches',
      formatValue: String,
      series: [
        { name: 'rss', color: '#000', points: [[0, 1], [1000, 3], [2000, 2]] },
        { name: 'batch', color: '#111', points: [[0, 8], [1000, 4], [2000, 4]], step: true },
      ],
    };
    const svg = parseXml(renderSvgChart(spec, { standalone: true }));
    const [rss, batch] = findAll(svg, 'polyline');
    expect(rss && polylinePointCount(rss)).toBe(3);
    expect(batch && polylinePointCount(batch)).toBe(5);
    expect(batch?.attributes.get('data-points')).toBe('3');
  });

  it('names the SVG namespace only when the SVG is a file of its own', () => {
    const spec: ChartSpec = { title: 't', formatValue: String, series: [] };
    expect(renderSvgChart(spec, { standalone: true })).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(renderSvgChart(spec, { standalone: false })).not.toContain('http');
  });

  it('says "no samples" rather than drawing an empty frame', () => {
    const svg = parseXml(renderSvgChart({ title: 't', formatValue: String, series: [{ name: 'a', color: '#000', points: [] }] }, { standalone: true }));
    expect(findAll(svg, 'polyline')).toHaveLength(0);
    expect(findAll(svg, 'text').some((text) => text.text === 'no samples')).toBe(true);
  });

  it('shades bands inside the time range only', () => {
    const svg = parseXml(
      renderSvgChart(
        {
          title: 't',
          formatValue: String,
          series: [{ name: 'a', color: '#000', points: [[0, 1], [10_000, 2]] }],
          bands: [
            { from: 2000, to: 4000, label: 'CAUTIOUS', color: '#ff0' },
            { from: 20_000, to: 30_000, label: 'outside', color: '#f00' },
          ],
        },
        { standalone: true },
      ),
    );
    const bands = findAll(svg, 'rect').filter((rect) => rect.attributes.get('class') === 'band');
    expect(bands.map((band) => band.attributes.get('data-label'))).toEqual(['CAUTIOUS']);
  });

  it.each([
    [100, 5, 20],
    [7, 5, 2],
    [1000, 5, 200],
    [0.3, 5, 0.1],
    [0, 5, 1],
  ])('niceStep(%d, %d) = %d', (range, count, step) => {
    expect(niceStep(range, count)).toBeCloseTo(step);
  });
});

describe('renderPlot', () => {
  const events: MonitorEvent[] = [
    { t: T0 + 30_000, kind: 'warn', message: 'RSS 80 MB reached --warn <80 MB> & "more"', rssBytes: 80 * MB },
    { t: T0 + 60_000, kind: 'action', message: 'sent SIGTERM', rssBytes: 150 * MB, detail: { signal: 'SIGTERM' } },
    { t: T0 + 61_000, kind: 'start', message: 'not a marker' },
  ];

  it('writes a well-formed SVG with a point per sample, the threshold lines and the events marked', () => {
    const text = renderPlot(plot(120, events), 'svg');
    const svg = parseXml(text);
    const [rss] = findAll(svg, 'polyline').filter((line) => line.attributes.get('data-series') === 'RSS');
    expect(rss && polylinePointCount(rss)).toBe(120);
    const thresholds = findAll(svg, 'line').filter((line) => line.attributes.get('class') === 'threshold');
    expect(thresholds.map((line) => line.attributes.get('data-label'))).toEqual(['warn', 'max']);
    // the max line sits above the warn line (SVG y grows downwards)
    expect(Number(thresholds[1]?.attributes.get('y1'))).toBeLessThan(Number(thresholds[0]?.attributes.get('y1')));
    const markers = findAll(svg, 'line').filter((line) => line.attributes.get('class') === 'marker');
    expect(markers.map((marker) => marker.attributes.get('data-label'))).toEqual([events[0]?.message, 'sent SIGTERM']);
    expect(findAll(svg, 'text').some((node) => node.text === 'SIGTERM')).toBe(true);
  });

  it('writes a self-contained HTML page: inline SVG, no URL, well-formed', () => {
    const html = renderPlot(plot(30, events), 'html');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|src=/i);
    const page = parseXml(html);
    expect(page.name).toBe('html');
    const svgs = findAll(page, 'svg');
    expect(svgs).toHaveLength(1);
    const [rss] = findAll(svgs[0] ?? page, 'polyline');
    expect(rss && polylinePointCount(rss)).toBe(30);
    // every event is listed in the events table, escaped
    expect(findAll(page, 'td').some((cell) => cell.text === events[0]?.message)).toBe(true);
  });
});
