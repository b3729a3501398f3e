// Binary index files: an 8-byte magic, a fixed header of uint32 fields, a checksum of the
// body, then typed-array sections. Written atomically; a reader checks everything and names
// the file and the problem when something is wrong.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/fs';

type Section = Float32Array | Int32Array | Uint32Array | Uint8Array;

/** A 32-bit checksum over 4-byte words (the body length is always a multiple of 4). */
export function checksum(bytes: Uint8Array): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function asBytes(s: Section): Uint8Array {
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
}

/** Write magic + header (uint32 fields) + checksum + sections to `path` atomically. */
export function writeIndexFile(path: string, magic: string, header: number[], sections: Section[]): void {
  writeFileAtomic(path, encodeIndexFile(magic, header, sections));
}

/** The bytes writeIndexFile writes, as [head, body] (for a writer of its own, e.g. the run directory's manifest). */
export function encodeIndexFile(magic: string, header: number[], sections: Section[]): Uint8Array[] {
  if (magic.length !== 8) throw new Error('writeIndexFile: magic must be 8 characters');
  let bodyLen = 0;
  for (const s of sections) bodyLen += (s.byteLength + 3) & ~3;
  const body = new Uint8Array(bodyLen);
  let off = 0;
  for (const s of sections) {
    body.set(asBytes(s), off);
    off += (s.byteLength + 3) & ~3;
  }
  const head = new Uint8Array(8 + 4 * (header.length + 3));
  head.set(Buffer.from(magic, 'latin1'), 0);
  const hv = new DataView(head.buffer);
  hv.setUint32(8, header.length, true);
  header.forEach((v, i) => hv.setUint32(12 + 4 * i, v >>> 0, true));
  hv.setUint32(12 + 4 * header.length, bodyLen, true);
  hv.setUint32(16 + 4 * header.length, checksum(body), true);
  return [head, body];
}

/** Reads a file written by writeIndexFile; the caller pulls sections in order with take*. */
export class IndexFileReader {
  readonly header: number[];
  private body: Uint8Array;
  private off = 0;

  constructor(readonly path: string, magic: string, headerFields: number) {
    let buf: Uint8Array;
    try {
      buf = readFileSync(path);
    } catch (e) {
      throw new Error(`${path}: cannot read index file: ${(e as Error).message}`);
    }
    const headLen = 8 + 4 * (headerFields + 3);
    if (buf.length < headLen) throw new Error(`${path}: not a ${magic} index (file is only ${buf.length} bytes)`);
    const found = Buffer.from(buf.subarray(0, 8)).toString('latin1');
    if (found !== magic) throw new Error(`${path}: not a ${magic} index (magic is ${JSON.stringify(found)})`);
    const hv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const n = hv.getUint32(8, true);
    if (n !== headerFields) throw new Error(`${path}: header has ${n} fields, expected ${headerFields} (unsupported version?)`);
    this.header = Array.from({ length: n }, (_, i) => hv.getUint32(12 + 4 * i, true));
    const bodyLen = hv.getUint32(12 + 4 * n, true);
    const sum = hv.getUint32(16 + 4 * n, true);
    if (buf.length !== headLen + bodyLen) {
      throw new Error(`${path}: truncated or corrupt index (body should be ${bodyLen} bytes, file has ${buf.length - headLen})`);
    }
    // copy so typed-array views are 4-byte aligned
    this.body = new Uint8Array(buf.subarray(headLen));
    if (checksum(this.body) !== sum) throw new Error(`${path}: corrupt index (checksum mismatch)`);
  }

  private take(bytes: number, what: string): ArrayBuffer {
    if (this.off + bytes > this.body.length) throw new Error(`${this.path}: corrupt index (section ${what} runs past the end)`);
    const out = this.body.buffer.slice(this.body.byteOffset + this.off, this.body.byteOffset + this.off + bytes) as ArrayBuffer;
    this.off += (bytes + 3) & ~3;
    return out;
  }
  f32(n: number, what: string): Float32Array {
    return new Float32Array(this.take(4 * n, what));
  }
  i32(n: number, what: string): Int32Array {
    return new Int32Array(this.take(4 * n, what));
  }
  u8(n: number, what: string): Uint8Array {
    return new Uint8Array(this.take(n, what));
  }
  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.off !== this.body.length) throw new Error(`${this.path}: corrupt index (${this.body.length - this.off} unexpected trailing bytes)`);
  }
  fail(msg: string): never {
    throw new Error(`${this.path}: corrupt index (${msg})`);
  }
}
