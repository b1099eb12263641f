// NumPy .npy (format version 1.0) for a float32 matrix, and the ids file that names its rows.
// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

/** "\x93NUMPY" then format version 1.0. */
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]);
/** Magic and version, then the header length as a little-endian uint16. */
const PREAMBLE_BYTES = MAGIC.length + 2;
/** NumPy pads the header so that the data starts on a 64-byte boundary (aligned for memory mapping). */
const ALIGNMENT = 64;

/** The header of a C-order, little-endian float32 matrix of rows x dim; the raw rows follow it. */
export function npyHeader(rows: number, dim: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const unpadded = PREAMBLE_BYTES + dict.length + 1;
  const text = `${dict}${' '.repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT)}\n`;
  const header = Buffer.alloc(PREAMBLE_BYTES + text.length);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(text.length, MAGIC.length);
  header.write(text, PREAMBLE_BYTES, 'latin1');
  return header;
}

const NPY_SUFFIX = /\.npy$/i;

export function isNpyPath(file: string): boolean {
  return NPY_SUFFIX.test(file);
}

/** `vectors.npy` -> `vectors.ids.tsv`. */
export function idsPath(npyFile: string): string {
  return npyFile.replace(NPY_SUFFIX, '.ids.tsv');
}

const TSV_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Backslash escapes keep an id with a tab or a line break on its own line (the "linear TSV" convention). */
export function tsvField(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (character) => TSV_ESCAPES[character] ?? character);
}

/** Line n of the ids file names row n-1 of the matrix: the record id and the text's index in its input. */
export function idsLine(id: string, index: number): string {
  return `${tsvField(id)}\t${index}\n`;
}
