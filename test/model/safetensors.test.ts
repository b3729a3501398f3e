// safetensors: exact byte layout, bit-exact round trips, the extra dtypes the reader converts,
// and a clear error (naming the file) for each kind of damage.
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { halfToFloat, readSafetensors, writeSafetensors, type SafeTensor } from '../../src/model/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'ngame-st-'));
let counter = 0;
const tmp = () => join(dir, `t${counter++}.safetensors`);

/** Build a file by hand from the spec: u64 LE header length, header JSON, then the data bytes. */
function handMade(header: object | string, data: number[] | Uint8Array, headerLength?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  const path = tmp();
  writeFileSync(path, Buffer.concat([len, json, Buffer.from(data)]));
  return path;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('layout', () => {
  it('writes exactly the spec layout: u64 length, space-padded JSON, data by dtype size then name', () => {
    const path = tmp();
    writeSafetensors(
      path,
      {
        b: { dtype: 'I32', shape: [2], data: new Int32Array([1, -1]) },
        a: { dtype: 'F32', shape: [1], data: new Float32Array([1.5]) },
        z: { dtype: 'F64', shape: [], data: new Float64Array([2]) },
      },
      { note: 'hi' },
    );
    const file = readFileSync(path);
    const n = Number(file.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = file.subarray(8, 8 + n).toString('utf8');
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"note":"hi"},' +
        '"z":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"b":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}}',
    );
    expect(/^ *$/.test(header.slice(header.trimEnd().length))).toBe(true);
    const data = file.subarray(8 + n);
    expect([...data]).toEqual([
      ...bytesOf(new Float64Array([2])),
      ...bytesOf(new Float32Array([1.5])),
      ...[1, 0, 0, 0, 255, 255, 255, 255],
    ]);
  });

  it('reads a hand-made file', () => {
    const path = handMade(
      { w: { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] }, __metadata__: { format: 'pt' } },
      bytesOf(new Float32Array([3, -4])),
    );
    const f = readSafetensors(path);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.w.shape).toEqual([2, 1]);
    expect([...f.tensors.w.data]).toEqual([3, -4]);
  });
});

describe('bit-exact round trip', () => {
  it('keeps NaN payloads, -0, infinities and denormals in F32 and F64, and int32 extremes', () => {
    const f32bits = new Uint32Array([0x7fc00001, 0x7f800001, 0xffffffff, 0x80000000, 0x00000001, 0x807fffff, 0xff800000, 0x3f800000]);
    const f64bits = new BigUint64Array([0x7ff0000000000001n, 0xfff8000000000123n, 0x8000000000000000n, 0x1n, 0x800fffffffffffffn, 0x7ff0000000000000n]);
    const tensors: Record<string, SafeTensor> = {
      f32: { dtype: 'F32', shape: [2, 4], data: new Float32Array(f32bits.buffer) },
      f64: { dtype: 'F64', shape: [6], data: new Float64Array(f64bits.buffer) },
      i32: { dtype: 'I32', shape: [3], data: new Int32Array([-2147483648, 2147483647, 0]) },
      empty: { dtype: 'F32', shape: [3, 0], data: new Float32Array(0) },
    };
    const path = tmp();
    writeSafetensors(path, tensors);
    const back = readSafetensors(path).tensors;
    expect([...new Uint32Array(back.f32.data.buffer, back.f32.data.byteOffset, 8)]).toEqual([...f32bits]);
    expect([...new BigUint64Array(back.f64.data.buffer, back.f64.data.byteOffset, 6)]).toEqual([...f64bits]);
    expect([...back.i32.data]).toEqual([-2147483648, 2147483647, 0]);
    expect(back.empty.shape).toEqual([3, 0]);
    expect(back.empty.data.length).toBe(0);
    expect(back.f32.data).toBeInstanceOf(Float32Array);
    expect(back.f64.data).toBeInstanceOf(Float64Array);
    expect(back.i32.data).toBeInstanceOf(Int32Array);
  });

  it('holds for random bit patterns, shapes and names (property)', () => {
    const tensorArb = fc.record({
      dtype: fc.constantFrom('F32' as const, 'F64' as const, 'I32' as const),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 5 }), (spec) => {
        const tensors: Record<string, SafeTensor> = {};
        for (const [name, s] of Object.entries(spec)) {
          const count = s.shape.reduce((a, b) => a * b, 1);
          const bytes = new Uint8Array(count * (s.dtype === 'F64' ? 8 : 4)).map((_, i) => (s.seed * 31 + i * 97) & 255);
          const data = s.dtype === 'F32' ? new Float32Array(bytes.buffer) : s.dtype === 'F64' ? new Float64Array(bytes.buffer) : new Int32Array(bytes.buffer);
          tensors[name] = { dtype: s.dtype, shape: s.shape, data };
        }
        const path = tmp();
        writeSafetensors(path, tensors);
        const back = readSafetensors(path).tensors;
        expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) {
          expect(back[name].dtype).toBe(t.dtype);
          expect(back[name].shape).toEqual(t.shape);
          expect([...bytesOf(back[name].data)]).toEqual([...bytesOf(t.data)]);
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});

describe('converted dtypes', () => {
  it('reads F16 and BF16 as Float32Array', () => {
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x8000, 0x3555, 0x7e00]);
    const bf16 = new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x0001]);
    const path = handMade(
      {
        h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] },
        b: { dtype: 'BF16', shape: [2, 2], data_offsets: [14, 22] },
      },
      [...bytesOf(f16), ...bytesOf(bf16)],
    );
    const { tensors } = readSafetensors(path);
    expect(tensors.h.dtype).toBe('F32');
    expect(tensors.h.fileDtype).toBe('F16');
    const h = [...tensors.h.data];
    expect(h.slice(0, 6)).toEqual([1, -2, 2 ** -24, Infinity, -0, 0.333251953125]);
    expect(Object.is(h[4], -0)).toBe(true);
    expect(Number.isNaN(h[6])).toBe(true);
    expect([...tensors.b.data]).toEqual([1, -3, Infinity, new Float32Array(new Uint32Array([0x00010000]).buffer)[0]]);
    expect(halfToFloat(0x7bff)).toBe(65504);
  });

  it('reads I64 as Int32Array, refusing values outside int32', () => {
    const ok = handMade({ ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, bytesOf(new BigInt64Array([1n, -5n, 2147483647n])));
    expect([...readSafetensors(ok).tensors.ids.data]).toEqual([1, -5, 2147483647]);
    const big = handMade({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, bytesOf(new BigInt64Array([0n, 1n << 40n])));
    expect(() => readSafetensors(big)).toThrow(`safetensors ${big}: tensor "ids" element 1 = 1099511627776 does not fit in int32`);
  });

  it('reads U8 and BOOL as Int32Array', () => {
    const path = handMade({ m: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'BOOL', shape: [1], data_offsets: [2, 3] } }, [255, 7, 1]);
    const { tensors } = readSafetensors(path);
    expect([...tensors.m.data]).toEqual([255, 7]);
    expect([...tensors.b.data]).toEqual([1]);
  });
});

describe('clear errors naming the file', () => {
  const good = () => {
    const path = tmp();
    writeSafetensors(path, { w: { dtype: 'F32', shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
    return path;
  };
  const cases: [string, () => string, RegExp][] = [
    ['a file shorter than 8 bytes', () => { const p = tmp(); writeFileSync(p, Buffer.from([1, 2, 3])); return p; }, /too short for the 8-byte header length/],
    ['truncated data', () => { const p = good(); truncateSync(p, readFileSync(p).length - 3); return p; }, /run past the 13 data bytes \(truncated\?\)/],
    ['truncated header', () => { const p = good(); truncateSync(p, 20); return p; }, /header length \d+ runs past the end of the 20-byte file/],
    ['absurd header length', () => handMade('{}', [], 1n << 60n), /bad header length 1152921504606846976/],
    ['header that is not JSON', () => handMade('{"w": {', []), /header is not valid UTF-8 JSON/],
    ['header that is not an object', () => handMade('[1, 2]', []), /header must be a JSON object/],
    ['unknown dtype', () => handMade({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, [0]), /tensor "w": unsupported dtype "F8"/],
    ['shape × dtype ≠ offsets', () => handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0,8\] span 8/],
    ['bad shape', () => handMade({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape must be an array of non-negative integers/],
    ['overlapping tensors', () => handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /tensor "b" overlaps/],
    ['a gap between tensors', () => handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /gap in the data before tensor "a"/],
    ['extra bytes after the data', () => handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)), /tensors cover 4 data bytes but the file holds 6/],
    ['offsets out of range', () => handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(4)), /tensor "a" data_offsets \[8, 12\] run past the 4 data bytes/],
    ['non-string metadata', () => handMade({ __metadata__: { n: 1 } }, []), /__metadata__ "n" must be a string/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const path = make();
      let error: Error | undefined;
      try {
        readSafetensors(path);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).toContain(path);
    });
  }

  it('a missing file', () => {
    expect(() => readSafetensors(join(dir, 'nope.safetensors'))).toThrow(/nope\.safetensors/);
  });

  it('writer refuses inconsistent tensors, naming the file and tensor', () => {
    const path = join(dir, 'bad.safetensors');
    expect(() => writeSafetensors(path, { w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      `writeSafetensors ${path}: tensor "w": shape [3] holds 3 elements but data has 2`,
    );
    expect(() => writeSafetensors(path, { w: { dtype: 'F64', shape: [2], data: new Float32Array(2) } })).toThrow(/dtype F64 needs a Float64Array/);
    expect(() => writeSafetensors(path, { __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(/invalid tensor name/);
  });
});
