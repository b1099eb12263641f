// Types of scripts/check-cycles.mjs, for its unit test.
export interface LayerRule {
  readonly from?: string;
  readonly fromOutside?: readonly string[];
  readonly to: string;
  readonly why: string;
}
export interface AllowedImport {
  readonly from: string;
  readonly to: string;
}
export interface Cycle {
  readonly files: string[];
  readonly loop: string[];
}
export interface Violation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}
export interface TreeCheck {
  readonly files: number;
  readonly cycles: Cycle[];
  readonly violations: Violation[];
  readonly stale: string[];
}
export const LAYER_RULES: readonly LayerRule[];
export const TEMPORARY_ALLOWED: readonly AllowedImport[];
export function readImports(source: string): { eager: string[]; lazy: string[] };
export function buildGraph(root: string): Map<string, { eager: Set<string>; lazy: Set<string> }>;
export function stronglyConnected(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][];
export function checkTree(root: string, options?: { rules?: readonly LayerRule[]; allowed?: readonly AllowedImport[] }): TreeCheck;
