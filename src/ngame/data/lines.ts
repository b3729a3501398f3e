// Streaming line reader shared by every text-format reader in this folder.
// Reads plain, gzip (.gz) or brotli (.br) files in 1 MiB chunks, so a million-line file is
// never held as one string; each chunk is decoded as strict UTF-8 (TextDecoder fatal), and
// on a decoding error the offending line is located so the error names file and line.
import { createReadStream, existsSync } from 'node:fs';
import { createBrotliDecompress, createGunzip, gzipSync, brotliCompressSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../../util/fs';

/** An error in a data file; the message starts with `file:line:`. */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'DataFormatError';
  }
}

export interface LineScan {
  /** Number of lines delivered (a final line without '\n' counts). */
  lines: number;
  /** Whether the file ended with '\n' (true for an empty file). */
  finalNewline: boolean;
}

const NL = 0x0a;

function openDecompressed(path: string): Readable {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (path.endsWith('.gz')) return raw.pipe(createGunzip());
  if (path.endsWith('.br')) return raw.pipe(createBrotliDecompress());
  return raw;
}

/**
 * Calls onLine(text, lineNo) for every line of `path` (lineNo counts from 1, without the '\n').
 * Errors thrown by onLine propagate unchanged; I/O and decompression errors name the file.
 */
export async function forEachLine(path: string, onLine: (line: string, lineNo: number) => void): Promise<LineScan> {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  let lineNo = 0;
  // Bytes of a line whose '\n' has not arrived yet, kept as the chunks they came in: joined once,
  // when the '\n' arrives, so a line spanning n chunks costs O(n) copies, not O(n²) (a 200 MB
  // single-line file took 7× as long as 200 MB of short lines when each chunk re-joined them).
  let pending: Buffer[] = [];

  // Decodes a block of whole lines (ending in '\n') and delivers them.
  let inDeliver = false;
  const deliver = (block: Buffer, final: boolean) => {
    inDeliver = true;
    let text = decodeUtf8(block, path, lineNo + 1);
    if (lineNo === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    const parts = text.split('\n');
    const n = final ? parts.length : parts.length - 1; // a block not final ends with '\n' → last part is ''
    for (let i = 0; i < n; i++) onLine(parts[i], ++lineNo);
    inDeliver = false;
  };

  const stream = openDecompressed(path);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const last = chunk.lastIndexOf(NL);
      if (last < 0) {
        pending.push(chunk);
        continue;
      }
      const head = chunk.subarray(0, last + 1);
      deliver(pending.length > 0 ? Buffer.concat([...pending, head]) : head, false);
      pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    }
  } catch (e) {
    // Errors from decoding or from onLine pass through; stream errors get the file name.
    if (inDeliver || e instanceof DataFormatError) throw e;
    const compressed = path.endsWith('.gz') || path.endsWith('.br');
    throw new Error(`${path}: ${compressed ? 'cannot decompress' : 'cannot read'} (${(e as Error).message})`);
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) {
    deliver(Buffer.concat(pending), true);
    return { lines: lineNo, finalNewline: false };
  }
  return { lines: lineNo, finalNewline: true };
}

/**
 * `bytes` decoded as strict UTF-8, the one rule for every text ngame reads (data files, and the
 * texts predict and embed read): invalid bytes are a DataFormatError naming `name` and the line,
 * counted from `firstLine` (the line `bytes` starts at). A byte-order mark is kept (callers drop it).
 */
export function decodeUtf8(bytes: Uint8Array, name: string, firstLine = 1): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DataFormatError(name, firstLine - 1 + badLineOffset(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), 'invalid UTF-8');
  }
}

/** 0-based index (+1) of the first line in `block` that is not valid UTF-8. */
function badLineOffset(block: Buffer): number {
  const d = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 1;
  while (start <= block.length) {
    let end = block.indexOf(NL, start);
    if (end < 0) end = block.length;
    try {
      d.decode(block.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
    line++;
  }
  return line;
}

/** The path of `name` inside dir as it exists: plain, .gz or .br; null if none exists. */
export function findDataFile(dir: string, name: string): string | null {
  for (const suffix of ['', '.gz', '.br']) {
    const p = `${dir}/${name}${suffix}`;
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Writes text chunks to `path` atomically, gzip- or brotli-compressed when the name ends in
 * .gz / .br. Chunks keep peak memory to one copy of the text plus the compressed output.
 */
export function writeTextFile(path: string, chunks: string[]): void {
  const bufs = chunks.map((c) => Buffer.from(c, 'utf8'));
  if (path.endsWith('.gz')) writeFileAtomic(path, gzipSync(Buffer.concat(bufs), { level: 9 }));
  else if (path.endsWith('.br')) writeFileAtomic(path, brotliCompressSync(Buffer.concat(bufs)));
  else writeFileAtomic(path, bufs);
}
