// What `memsafe export` is asked to do and what it answers; shared by the text exporter and the npy exporter.

/** The text formats (listed in export.ts) and `npy`, a binary matrix with its own exporter. */
export type TextFormatName = 'openai-batch' | 'jsonl' | 'csv';
export type ExportFormatName = TextFormatName | 'npy';

export interface ExportOptions {
  /** Checkpoint files, written one after the other. */
  readonly checkpoints: readonly string[];
  readonly format: ExportFormatName;
  /** Write failed lines instead of done records. */
  readonly errors: boolean;
  /** A file path (`.gz` compresses); undefined or `-` is stdout. npy needs a path ending in `.npy`. */
  readonly out: string | undefined;
}

export interface NpyExportDetails {
  readonly vectors: number;
  readonly dim: number;
  /** The ids file written next to the matrix, one line per row. */
  readonly idsFile: string;
  /** Done chat records of the checkpoints: they have no vectors, so the matrix leaves them out. */
  readonly leftOut: number;
}

export interface ExportResult {
  /** Records (or failed lines) written. */
  readonly rows: number;
  /** `stdout` or the output path. */
  readonly output: string;
  /** The reader of stdout stopped early (`| head`); rows counts what was written until then. */
  readonly outputClosed: boolean;
  /** Set by the npy format. */
  readonly npy?: NpyExportDetails;
}
