// The safetensors file format (https://github.com/huggingface/safetensors), read and written exactly:
//   bytes [0, 8)        N, the header length, unsigned 64-bit little-endian
//   bytes [8, 8+N)      UTF-8 JSON: { "<name>": { "dtype": "F32", "shape": [2, 3],
//                                                 "data_offsets": [begin, end] }, ...,
//                                     "__metadata__": { "<key>": "<string>" } }
//                       padded with spaces so that 8+N is a multiple of 8
//   bytes [8+N, end)    the tensors' raw little-endian bytes; data_offsets count from byte 8+N,
//                       tensors lie back to back with no gaps and cover the data exactly.
// Writing keeps names and values bit-exact (NaN payloads, -0, denormals: bytes are copied, never
// converted). Reading also accepts the other dtypes found in PyTorch exports and converts them
// to the three in-memory types: F16/BF16 → F32, I64/U32 → I32 (range-checked), I8/U8/I16/U16/BOOL → I32.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/fs';

export type TensorDtype = 'F32' | 'F64' | 'I32';
export type TensorData = Float32Array | Float64Array | Int32Array;

export interface SafeTensor {
  dtype: TensorDtype;
  shape: number[];
  data: TensorData;
}

/** A tensor read from a file; `fileDtype` is the dtype stored there (e.g. "BF16" read as F32). */
export interface LoadedTensor extends SafeTensor {
  fileDtype: string;
}

export interface SafetensorsFile {
  tensors: Record<string, LoadedTensor>;
  metadata: Record<string, string>;
}

/** Bytes per element of every dtype the reader understands. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Refuse headers above 100 MB, as the reference implementation does (a corrupt length). */
const MAX_HEADER_BYTES = 100_000_000;

if (endianness() !== 'LE') {
  // Typed arrays use the host byte order; safetensors is little-endian. Every platform Node
  // supports in practice is little-endian; fail loudly rather than write swapped bytes.
  throw new Error('safetensors: big-endian hosts are not supported');
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/**
 * Write tensors (and optional string metadata) as a safetensors file, atomically (a temporary
 * file renamed over `path`). Tensors are laid out like the reference writer: larger dtypes first
 * (so F64 data stays 8-byte aligned), then by name.
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata, `writeSafetensors ${path}`));
}

/** The file's bytes as parts (header, then views of each tensor's data: no copies). */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
  where = 'encodeSafetensors',
): Uint8Array[] {
  const expectedArray = { F32: Float32Array, F64: Float64Array, I32: Int32Array } as const;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const at = `${where}: tensor "${name}"`;
    if (name === '' || name === '__metadata__') throw new Error(`${at}: invalid tensor name`);
    if (!(t.dtype in expectedArray)) throw new Error(`${at}: dtype must be F32, F64 or I32, got ${t.dtype}`);
    if (!(t.data instanceof expectedArray[t.dtype])) {
      throw new Error(`${at}: dtype ${t.dtype} needs a ${expectedArray[t.dtype].name}, got ${t.data?.constructor?.name}`);
    }
    const shape = checkShape(at, t.shape);
    if (elementCount(shape) !== t.data.length) {
      throw new Error(`${at}: shape [${shape}] holds ${elementCount(shape)} elements but data has ${t.data.length}`);
    }
  }
  names.sort((a, b) => {
    const d = DTYPE_BYTES[tensors[b].dtype] - DTYPE_BYTES[tensors[a].dtype];
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`${where}: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(json.length));
  return [lengthBytes, json, ...parts];
}

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** A tensor's entry in a file's header: name, stored dtype and shape (no data read). */
export interface SafetensorsHeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
}

/**
 * Reads and validates only the header of a safetensors file (names, dtypes, shapes, and that the
 * data offsets tile the file exactly), without reading or allocating any tensor data.
 */
export function readSafetensorsHeader(path: string): { tensors: SafetensorsHeaderEntry[]; metadata: Record<string, string> } {
  return withHeader(path, (_readAt, h) => ({ tensors: h.entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata: h.metadata }));
}

/** Read and validate a whole safetensors file; errors name the file and the tensor at fault. */
export function readSafetensors(path: string): SafetensorsFile {
  return withHeader(path, (readAt, { entries, metadata, dataStart, where }) => {
    const tensors: Record<string, LoadedTensor> = {};
    for (const e of entries) {
      const raw = new Uint8Array(e.end - e.begin);
      readAt(raw, dataStart + e.begin);
      tensors[e.name] = { ...convert(raw, e, where), shape: e.shape, fileDtype: e.dtype };
    }
    return { tensors, metadata };
  });
}

type ReadAt = (target: Uint8Array, position: number) => void;
interface Header { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number; where: string }

/** Opens `path`, reads and checks its header, and hands both to `use` (the file is closed after). */
function withHeader<T>(path: string, use: (readAt: ReadAt, header: Header) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`reading safetensors ${path}: ${(e as Error).message}`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    const where = `safetensors ${path}`;
    const readAt: ReadAt = (target, position) => {
      let done = 0;
      while (done < target.length) {
        const n = readSync(fd, target, done, target.length - done, position + done);
        if (n === 0) throw new Error(`${where}: file ended early (truncated?)`);
        done += n;
      }
    };

    if (fileSize < 8) throw new Error(`${where}: file is ${fileSize} bytes, too short for the 8-byte header length (truncated?)`);
    const lengthBytes = Buffer.alloc(8);
    readAt(lengthBytes, 0);
    const headerLength = lengthBytes.readBigUInt64LE();
    if (headerLength > BigInt(MAX_HEADER_BYTES)) {
      throw new Error(`${where}: bad header length ${headerLength} (over ${MAX_HEADER_BYTES} bytes; not a safetensors file?)`);
    }
    const n = Number(headerLength);
    if (8 + n > fileSize) {
      throw new Error(`${where}: header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
    }
    const headerBytes = Buffer.alloc(n);
    readAt(headerBytes, 8);
    const { entries, metadata } = parseHeader(headerBytes, where);
    const dataStart = 8 + n;
    checkLayout(entries, fileSize - dataStart, where);
    return use(readAt, { entries, metadata, dataStart, where });
  } finally {
    closeSync(fd);
  }
}

function parseHeader(bytes: Buffer, where: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${where}: header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error(`${where}: header must be a JSON object`);
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`${where}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new Error(`${where}: __metadata__ "${k}" must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const at = `${where}: tensor "${name}"`;
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (v === null || typeof v !== 'object') throw new Error(`${at}: entry must be an object`);
    if (typeof v.dtype !== 'string' || !(v.dtype in DTYPE_BYTES)) {
      throw new Error(`${at}: unsupported dtype ${JSON.stringify(v.dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const shape = checkShape(at, v.shape);
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0) || off[0] > off[1]) {
      throw new Error(`${at}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    }
    const expected = elementCount(shape) * DTYPE_BYTES[v.dtype];
    if (off[1] - off[0] !== expected) {
      throw new Error(
        `${at}: shape [${shape}] of ${v.dtype} needs ${expected} bytes but data_offsets [${off}] span ${off[1] - off[0]}`,
      );
    }
    entries.push({ name, dtype: v.dtype, shape, begin: off[0], end: off[1] });
  }
  return { entries, metadata };
}

/** Tensors must lie back to back from 0 and end exactly at the end of the file. */
function checkLayout(entries: HeaderEntry[], dataLength: number, where: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of sorted) {
    if (e.end > dataLength) {
      throw new Error(
        `${where}: tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] run past the ${dataLength} data bytes (truncated?)`,
      );
    }
    if (e.begin < expectedBegin) throw new Error(`${where}: tensor "${e.name}" overlaps the previous tensor's data`);
    if (e.begin > expectedBegin) throw new Error(`${where}: gap in the data before tensor "${e.name}" (bytes ${expectedBegin}-${e.begin})`);
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataLength) {
    throw new Error(`${where}: tensors cover ${expectedBegin} data bytes but the file holds ${dataLength} (extra bytes at the end)`);
  }
}

/** Raw little-endian bytes (a fresh, aligned copy) → one of the three in-memory types. */
function convert(raw: Uint8Array, e: HeaderEntry, where: string): { dtype: TensorDtype; data: TensorData } {
  const buf = raw.buffer;
  const count = elementCount(e.shape);
  switch (e.dtype) {
    case 'F32':
      return { dtype: 'F32', data: new Float32Array(buf, 0, count) };
    case 'F64':
      return { dtype: 'F64', data: new Float64Array(buf, 0, count) };
    case 'I32':
      return { dtype: 'I32', data: new Int32Array(buf, 0, count) };
    case 'F16': {
      const src = new Uint16Array(buf, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]);
      return { dtype: 'F32', data: out };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits up, exactly.
      const src = new Uint16Array(buf, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      return { dtype: 'F32', data: new Float32Array(bits.buffer) };
    }
    case 'I64':
    case 'U32': {
      const src = e.dtype === 'I64' ? new BigInt64Array(buf, 0, count) : new Uint32Array(buf, 0, count);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = Number(src[i]);
        if (v < -2147483648 || v > 2147483647) {
          throw new Error(`${where}: tensor "${e.name}" element ${i} = ${src[i]} does not fit in int32`);
        }
        out[i] = v;
      }
      return { dtype: 'I32', data: out };
    }
    case 'I16':
      return { dtype: 'I32', data: Int32Array.from(new Int16Array(buf, 0, count)) };
    case 'U16':
      return { dtype: 'I32', data: Int32Array.from(new Uint16Array(buf, 0, count)) };
    case 'I8':
      return { dtype: 'I32', data: Int32Array.from(new Int8Array(buf, 0, count)) };
    default: // U8, BOOL
      return { dtype: 'I32', data: Int32Array.from(raw) };
  }
}

/** IEEE 754 half precision → number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
