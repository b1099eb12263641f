// A small .npy (version 1.0) reader for the tests, written from the NumPy format spec, so no test needs numpy.
export interface NpyMatrix {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Bytes before the data: magic, version, length and the padded header. */
  readonly dataOffset: number;
  /** Row by row, each value as read back from little-endian float32. */
  readonly rows: number[][];
}

export function readNpy(file: Buffer): NpyMatrix {
  if (!file.subarray(0, 6).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]))) throw new Error('no \\x93NUMPY magic');
  if (file[6] !== 1 || file[7] !== 0) throw new Error(`version ${file[6]}.${file[7]}, expected 1.0`);
  const headerLength = file.readUInt16LE(8);
  const dataOffset = 10 + headerLength;
  const header = file.subarray(10, dataOffset).toString('latin1');
  if (!header.endsWith('\n')) throw new Error('header does not end in a newline');
  const match = /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \((\d+), (\d+)\), \} *\n$/.exec(header);
  if (match === null) throw new Error(`unexpected header ${JSON.stringify(header)}`);
  const shape = [Number(match[3]), Number(match[4])];
  const [count, dim] = [shape[0] ?? 0, shape[1] ?? 0];
  if (file.length !== dataOffset + count * dim * 4) throw new Error(`${file.length - dataOffset} data bytes for shape (${count}, ${dim})`);
  const rows: number[][] = [];
  for (let row = 0; row < count; row++) {
    rows.push(Array.from({ length: dim }, (_, column) => file.readFloatLE(dataOffset + (row * dim + column) * 4)));
  }
  return { descr: match[1] ?? '', fortranOrder: match[2] === 'True', shape, dataOffset, rows };
}

/** The ids file as [id, index] pairs, escapes undone. */
export function readIds(text: string): [string, number][] {
  const unescape = (field: string): string =>
    field.replace(/\\(.)/g, (_, character: string) => ({ t: '\t', n: '\n', r: '\r' })[character] ?? character);
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const [id, index] = line.split('\t');
      return [unescape(id ?? ''), Number(index)];
    });
}
