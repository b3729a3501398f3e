// File helpers shared by every writer: atomic writes so a crash never corrupts what is saved.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Write `data` to `path` atomically: write a temporary file beside it, fsync, then rename.
 * A reader sees either the old file or the new one, never a half-written file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const parts = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data, 'utf8') : data];
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new Error(`writing ${path}: ${(e as Error).message}`);
  }
}

/**
 * A file written piece by piece and published atomically: text goes to a temporary file beside
 * `path` in ~1 MiB writes; commit() fsyncs and renames it into place, abort() removes it. Used by
 * writers of files too large to hold as one string (the synthetic datasets' gigabyte matrices).
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private fd: number;
  private buf: string[] = [];
  private bufChars = 0;

  constructor(readonly path: string) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new Error(`writing ${path}: ${(e as Error).message}`);
    }
  }

  write(text: string): void {
    this.buf.push(text);
    this.bufChars += text.length;
    if (this.bufChars >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    const b = Buffer.from(this.buf.join(''), 'utf8');
    this.buf = [];
    this.bufChars = 0;
    let off = 0;
    try {
      while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    } catch (e) {
      this.abort();
      throw new Error(`writing ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Writes what is buffered, fsyncs and renames the file into place. */
  commit(): void {
    this.flush();
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw new Error(`writing ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Drops the temporary file (the destination is left as it was). */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}
