// temporary: removed when engine/ is switched (engine.ts, dry-run.ts and cli/run-job.ts import the old names).
export { normalizeLine as normaliseLine, type NormalizeOptions as NormaliseOptions } from './normalize.js';
