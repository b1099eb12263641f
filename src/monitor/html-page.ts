// A self-contained HTML page around inline SVG charts: no scripts, no stylesheets or fonts from elsewhere.
// Written as well-formed XML (void elements closed) so it can be checked without a browser.
import { escapeXml } from './chart.js';

export interface PageSection {
  readonly heading: string;
  /** Markup already built (SVG charts, tables); inserted as is. */
  readonly body: readonly string[];
}

export interface Page {
  readonly title: string;
  readonly subtitle?: string;
  readonly sections: readonly PageSection[];
}

const STYLE = `
body { font-family: sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
p.subtitle { color: #555; margin: 0 0 16px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
`;

export function renderTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeXml(header)}</th>`).join('')}</tr>`;
  const body = rows
    .map((row) => `<tr>${row.map((cell) => (typeof cell === 'number' ? `<td class="num">${cell}</td>` : `<td>${escapeXml(cell)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

export function renderParagraph(text: string): string {
  return `<p>${escapeXml(text)}</p>`;
}

export function renderHtmlPage(page: Page): string {
  const sections = page.sections
    .map((section) => `<section>\n<h2>${escapeXml(section.heading)}</h2>\n${section.body.join('\n')}\n</section>`)
    .join('\n');
  const subtitle = page.subtitle === undefined ? '' : `<p class="subtitle">${escapeXml(page.subtitle)}</p>\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>${escapeXml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(page.title)}</h1>
${subtitle}${sections}
</body>
</html>
`;
}
