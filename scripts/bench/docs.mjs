// Writes a scenario's latest table into docs/BENCHMARKS.md between its `<!-- bench:<id>:start -->` and
// `<!-- bench:<id>:end -->` markers; other sections of the file (owned by other people) are left as they are.
import fs from 'node:fs';

export function markers(id) {
  return { start: `<!-- bench:${id}:start -->`, end: `<!-- bench:${id}:end -->` };
}

/** The text with the block between the markers replaced, or undefined when the markers are missing. */
export function replaceBlock(text, id, content) {
  const { start, end } = markers(id);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from + start.length);
  if (from < 0 || to < 0) return undefined;
  return `${text.slice(0, from + start.length)}\n${content.trim()}\n${text.slice(to)}`;
}

/**
 * Updates one block. A scenario whose markers are not in the file yet gets a section of its own at the
 * end, titled `heading`, so a new scenario needs no hand edit of the docs.
 * @returns {'replaced' | 'appended'}
 */
export function updateBenchmarksDoc(file, id, heading, content) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const replaced = replaceBlock(text, id, content);
  if (replaced !== undefined) {
    fs.writeFileSync(file, replaced);
    return 'replaced';
  }
  const { start, end } = markers(id);
  fs.writeFileSync(file, `${text.trimEnd()}\n\n## ${heading}\n\n${start}\n${content.trim()}\n${end}\n`);
  return 'appended';
}
