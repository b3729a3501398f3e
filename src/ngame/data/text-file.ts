// Raw text files: one text per line (trn_X.txt, tst_X.txt, Y.txt and their .long variants),
// and filter files: one `row col` pair per line (filter_labels_train.txt, filter_labels_test.txt).
import type { Pairs } from './csr';
import { DataFormatError, forEachLine, writeTextFile } from './lines';
import { parseUint, tokens } from './sparse-file';

/**
 * Reads one text per line (a '\r' before the '\n' of CRLF files is dropped). A missing final
 * newline is accepted (editors often drop it);
 * `expected`, when given, is the line count it must have (e.g. the label matrix's number of rows).
 */
export async function readTexts(path: string, expected?: { count: number; what: string }): Promise<string[]> {
  const out: string[] = [];
  const scan = await forEachLine(path, (line) => {
    out.push(line.endsWith('\r') ? line.slice(0, -1) : line); // CRLF files: the text ends before '\r'
  });
  if (expected && scan.lines !== expected.count) {
    throw new DataFormatError(path, scan.lines, `has ${scan.lines} lines but ${expected.what} is ${expected.count}`);
  }
  return out;
}

/** Writes one text per line; a text containing a line break cannot round-trip and is an error. */
export function writeTexts(path: string, texts: string[]): void {
  const chunks: string[] = [];
  for (let start = 0; start < texts.length; start += 65536) {
    const part = texts.slice(start, start + 65536);
    part.forEach((t, i) => {
      if (t.includes('\n')) throw new Error(`writeTexts ${path}: text ${start + i} contains a newline`);
    });
    chunks.push(part.join('\n') + '\n');
  }
  writeTextFile(path, chunks);
}

/**
 * Reads `row col` pairs; with `bounds`, a pair outside rows × cols is an error naming the line.
 * Empty lines are errors too (a filter file has no reason to contain one).
 */
export async function readFilterPairs(path: string, bounds?: { rows: number; cols: number }): Promise<Pairs> {
  const row: number[] = [];
  const col: number[] = [];
  const scan = await forEachLine(path, (line, no) => {
    const t = tokens(line);
    if (t.length !== 2) throw new DataFormatError(path, no, `expected 'row col', got '${line.slice(0, 60)}'`);
    const r = parseUint(t[0], path, no, 'row');
    const c = parseUint(t[1], path, no, 'col');
    if (bounds && (r >= bounds.rows || c >= bounds.cols)) {
      throw new DataFormatError(path, no, `pair (${r}, ${c}) outside the ${bounds.rows} documents × ${bounds.cols} labels`);
    }
    row.push(r);
    col.push(c);
  });
  if (!scan.finalNewline) throw new DataFormatError(path, scan.lines, 'last line has no newline (truncated file?)');
  return { row: Int32Array.from(row), col: Int32Array.from(col) };
}

export function writeFilterPairs(path: string, pairs: Pairs): void {
  const lines: string[] = [];
  for (let i = 0; i < pairs.row.length; i++) lines.push(`${pairs.row[i]} ${pairs.col[i]}\n`);
  writeTextFile(path, [lines.join('')]);
}
