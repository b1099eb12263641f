import { describe, expect, it } from 'vitest';
import { idsLine, idsPath, isNpyPath, npyHeader, tsvField } from '../../../src/output/formats/npy.js';
import { readIds, readNpy } from './npy-reader.js';

describe('npyHeader', () => {
  it.each([
    [1, 1],
    [3, 1536],
    [1_000_000, 3072],
    [123_456_789_012, 8],
  ])('describes a (%d, %d) little-endian float32 matrix, padded to 64 bytes', (rows, dim) => {
    const header = npyHeader(rows, dim);
    expect(header.length % 64).toBe(0);
    expect(header.subarray(0, 8)).toEqual(Buffer.from('\x93NUMPY\x01\x00', 'latin1'));
    expect(header.readUInt16LE(8)).toBe(header.length - 10);
    const text = header.subarray(10).toString('latin1');
    expect(text).toMatch(new RegExp(`^\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(${rows}, ${dim}\\), \\} *\\n$`));
  });

  it('is read back by a reader that follows the spec', () => {
    const data = Buffer.alloc(2 * 3 * 4);
    [0.5, -1, 2, 0.25, 8, -0.125].forEach((value, index) => data.writeFloatLE(value, index * 4));
    const matrix = readNpy(Buffer.concat([npyHeader(2, 3), data]));
    expect(matrix).toMatchObject({ descr: '<f4', fortranOrder: false, shape: [2, 3], dataOffset: 128 });
    expect(matrix.rows).toEqual([
      [0.5, -1, 2],
      [0.25, 8, -0.125],
    ]);
  });
});

describe('ids file', () => {
  it('names the ids file after the matrix', () => {
    expect(idsPath('/data/vectors.npy')).toBe('/data/vectors.ids.tsv');
    expect(idsPath('out.NPY')).toBe('out.ids.tsv');
    expect(idsPath('a.npy.npy')).toBe('a.npy.ids.tsv');
  });

  it('accepts only .npy paths', () => {
    expect(['v.npy', 'V.NPY', 'dir.npy/v.npy'].map(isNpyPath)).toEqual([true, true, true]);
    expect(['v.npy.gz', 'v.npz', 'npy', 'v.npy/'].map(isNpyPath)).toEqual([false, false, false, false]);
  });

  it.each([
    ['plain', 'plain'],
    ['tab\there', 'tab\\there'],
    ['two\nlines', 'two\\nlines'],
    ['cr\rlf', 'cr\\rlf'],
    ['back\\slash', 'back\\\\slash'],
    ['ünïcödé 🙂', 'ünïcödé 🙂'],
  ])('escapes %j as %j', (id, expected) => {
    expect(tsvField(id)).toBe(expected);
  });

  it('writes one `id<TAB>index` line per row, which reads back unchanged', () => {
    const ids: [string, number][] = [
      ['a', 0],
      ['tab\tand\nnewline\\', 3],
    ];
    const text = ids.map(([id, index]) => idsLine(id, index)).join('');
    expect(text).toBe('a\t0\ntab\\tand\\nnewline\\\\\t3\n');
    expect(readIds(text)).toEqual(ids);
  });
});
