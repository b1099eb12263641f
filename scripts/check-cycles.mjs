// Lint step: fails on an import cycle among src/**/*.ts or on an import that points the wrong way between layers.
// Dependency-free on purpose (no madge, no eslint-plugin-import-x): it reads `import ... from`, `export ... from`
// and `import '...'` at the start of a line; `await import('...')` is lazy, so it counts for layering only.
// Usage: node scripts/check-cycles.mjs [--root <dir>]   (default: the repository's src/)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Which way dependencies point. `from`/`to` are paths under the root: a folder ends with `/`, else one file. */
export const LAYER_RULES = [
  { from: 'provider/', to: 'engine/', why: 'provider/ must not import engine/' },
  { from: 'checkpoint/', to: 'provider/', why: 'checkpoint/ must not import provider/' },
  { from: 'checkpoint/', to: 'engine/', why: 'checkpoint/ must not import engine/' },
  { from: 'config/', to: 'engine/', why: 'config/ must not import engine/' },
  { from: 'output/formats/', to: 'output/export.ts', why: 'output/formats/ must not import output/export.ts' },
  // batch/ is the Batch API pipeline beside the live engine: it reuses the engine's pure planner and vector keys.
  { fromOutside: ['cli/', 'engine/', 'batch/'], to: 'engine/', why: 'only cli/ (and the batch pipeline) use the engine: nothing else imports engine/' },
];

/**
 * TEMPORARY: imports that still break a rule or close a cycle only because src/engine/** has not been switched
 * yet. Each is `from -> to` (paths under src/). The lead empties this list as the engine rewrite lands; an entry
 * whose import is gone is reported as stale.
 */
export const TEMPORARY_ALLOWED = [];

const STATIC_IMPORT = /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"\n]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The specifiers a module imports: `eager` ones form the load graph, `lazy` ones (`import()`) only point a direction. */
export function readImports(source) {
  const eager = [];
  const lazy = [];
  for (const match of source.matchAll(STATIC_IMPORT)) eager.push(match[1]);
  for (const match of source.matchAll(SIDE_EFFECT_IMPORT)) eager.push(match[1]);
  for (const match of source.matchAll(DYNAMIC_IMPORT)) lazy.push(match[1]);
  return { eager, lazy };
}

function listSources(root) {
  const files = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.m?ts$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
    files.push(path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
  }
  return files.sort();
}

/** A relative specifier as the file it names under the root (`./a.js` -> `dir/a.ts`); undefined for packages and unknown files. */
function resolve(fromFile, specifier, known) {
  if (!specifier.startsWith('.')) return undefined;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  const candidates = [joined.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'), joined, `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find((candidate) => known.has(candidate));
}

/** file -> { eager: Set<file>, lazy: Set<file> }, for every .ts file under the root. */
export function buildGraph(root) {
  const files = listSources(root);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const { eager, lazy } = readImports(fs.readFileSync(path.join(root, file), 'utf8'));
    const targets = (specifiers) => new Set(specifiers.map((specifier) => resolve(file, specifier, known)).filter((target) => target !== undefined));
    graph.set(file, { eager: targets(eager), lazy: targets(lazy) });
  }
  return graph;
}

/** Tarjan's strongly connected components over the eager edges; each component of 2+ files (or a self-import) is a cycle. */
export function stronglyConnected(edges) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? new Set()).has(node)) components.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** One concrete loop through a component, for the message: the shortest path from its first file back to itself. */
function loopThrough(component, edges) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        // Walked back from the last hop: [first hop, ..., node, start].
        const loop = [start];
        for (let at = node; at !== start; at = previous.get(at)) loop.unshift(at);
        return [start, ...loop];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [...component, start];
}

function matches(pattern, file) {
  return pattern.endsWith('/') ? file.startsWith(pattern) : file === pattern;
}

function breaks(rule, from, to) {
  if (!matches(rule.to, to)) return false;
  if (rule.from !== undefined) return matches(rule.from, from);
  return !rule.fromOutside.some((pattern) => matches(pattern, from));
}

/** Cycles, layering violations and stale allow-list entries of the tree under `root`. */
export function checkTree(root, { rules = LAYER_RULES, allowed = TEMPORARY_ALLOWED } = {}) {
  const graph = buildGraph(root);
  const allowedEdges = new Set(allowed.map((entry) => `${entry.from} -> ${entry.to}`));
  const usedAllowances = new Set();
  const isAllowed = (from, to) => {
    const key = `${from} -> ${to}`;
    if (!allowedEdges.has(key)) return false;
    usedAllowances.add(key);
    return true;
  };
  const violations = [];
  for (const [from, { eager, lazy }] of graph) {
    for (const to of new Set([...eager, ...lazy])) {
      const rule = rules.find((candidate) => breaks(candidate, from, to));
      if (rule !== undefined && !isAllowed(from, to)) violations.push({ from, to, why: rule.why });
    }
  }
  const edges = new Map();
  for (const [from, { eager }] of graph) edges.set(from, new Set([...eager].filter((to) => !isAllowed(from, to))));
  const cycles = stronglyConnected(edges).map((component) => ({ files: component, loop: loopThrough(component, edges) }));
  const stale = [...allowedEdges].filter((key) => !usedAllowances.has(key));
  return { files: graph.size, cycles, violations, stale };
}

function main(argv) {
  const rootFlag = argv.indexOf('--root');
  const root = rootFlag >= 0 ? path.resolve(argv[rootFlag + 1] ?? '') : fileURLToPath(new URL('../src', import.meta.url));
  const { files, cycles, violations, stale } = checkTree(root);
  for (const cycle of cycles) {
    process.stderr.write(`check-cycles: import cycle among ${cycle.files.length} files: ${cycle.loop.join(' -> ')}\n`);
  }
  for (const { from, to, why } of violations) process.stderr.write(`check-cycles: ${from} imports ${to}: ${why}\n`);
  for (const key of stale) process.stderr.write(`check-cycles: stale TEMPORARY_ALLOWED entry (the import is gone, remove it): ${key}\n`);
  if (cycles.length > 0 || violations.length > 0) {
    process.stderr.write(`check-cycles: ${cycles.length} cycles, ${violations.length} layering violations in ${files} files\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
