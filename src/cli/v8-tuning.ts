// V8 settings for a long, memory-governed run, applied before undici is loaded (see docs/BENCHMARKS.md).
import v8 from 'node:v8';
import vm from 'node:vm';

export interface V8Tuning {
  /** Full garbage collection, or undefined where V8 refuses to expose it. */
  readonly gc: (() => void) | undefined;
  /** Lets V8's young generation grow (true) or holds it at its size (false); see young-generation-cap.ts. */
  readonly setYoungGenerationGrowth: (grow: boolean) => void;
}

export function tuneV8(): V8Tuning {
  // Optimising undici's WebAssembly llhttp adds ~35 MB of RSS for no measurable speed here.
  v8.setFlagsFromString('--liftoff-only');
  // The governor collects garbage under pressure; expose gc without a re-exec (memsafe never re-execs itself).
  v8.setFlagsFromString('--expose-gc');
  let gc: (() => void) | undefined;
  try {
    const exposed = vm.runInNewContext('gc') as unknown;
    if (typeof exposed === 'function') gc = () => (exposed as () => void)();
  } catch {
    gc = undefined;
  }
  return { gc, setYoungGenerationGrowth };
}

function setYoungGenerationGrowth(grow: boolean): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`); // 2 is V8's default
}
