// The LF JSON-lines format of the Extreme Classification Repository's raw LF datasets
// (trn.json.gz, tst.json.gz, lbl.json.gz): one JSON object per line,
//   {"uid": "...", "title": "short text", "content": "long text", "target_ind": [3, 17, ...]}
// Label files (lbl.json.gz) have no target_ind. Empty lines are skipped only at the end of file.
import type { CSR } from './csr';
import { csrFromPairs } from './csr';
import { DataFormatError, forEachLine, writeTextFile } from './lines';

export interface LfJsonRecords {
  uids: string[];
  titles: string[];
  contents: string[];
  /** (rows) label ids per record; empty arrays for a label file. */
  targets: number[][];
}

/** Reads an LF JSON-lines file; `withTargets` requires a target_ind array on every record. */
export async function readLfJson(path: string, withTargets: boolean): Promise<LfJsonRecords> {
  const out: LfJsonRecords = { uids: [], titles: [], contents: [], targets: [] };
  let blankRun = 0;
  await forEachLine(path, (line, no) => {
    if (line.trim() === '') {
      blankRun++;
      return;
    }
    if (blankRun > 0) throw new DataFormatError(path, no - 1, 'empty line between records');
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new DataFormatError(path, no, `not valid JSON (${(e as Error).message})`);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new DataFormatError(path, no, 'expected a JSON object');
    const o = rec as Record<string, unknown>;
    const str = (k: string, required: boolean): string => {
      const v = o[k];
      if (v === undefined && !required) return '';
      if (typeof v !== 'string') throw new DataFormatError(path, no, `field '${k}' must be a string`);
      return v;
    };
    out.titles.push(str('title', true));
    out.contents.push(str('content', false));
    out.uids.push(o.uid === undefined ? '' : String(o.uid));
    if (withTargets) {
      const t = o.target_ind;
      if (!Array.isArray(t) || !t.every((x) => Number.isInteger(x) && x >= 0)) {
        throw new DataFormatError(path, no, "field 'target_ind' must be an array of non-negative integers");
      }
      out.targets.push(t as number[]);
    } else out.targets.push([]);
  });
  return out;
}

/** Label matrix (records × numLabels) from target_ind lists; checks range and duplicates. */
export function targetsToCSR(path: string, targets: number[][], numLabels: number): CSR {
  const row: number[] = [];
  const col: number[] = [];
  targets.forEach((t, r) => {
    const seen = new Set<number>();
    for (const c of t) {
      if (c >= numLabels) throw new DataFormatError(path, r + 1, `target ${c} >= number of labels ${numLabels}`);
      if (seen.has(c)) throw new DataFormatError(path, r + 1, `target ${c} appears twice`);
      seen.add(c);
      row.push(r);
      col.push(c);
    }
  });
  return csrFromPairs(targets.length, numLabels, { row: Int32Array.from(row), col: Int32Array.from(col) });
}

/** Writes records as JSON lines (gzip when the name ends .gz). */
export function writeLfJson(path: string, recs: LfJsonRecords, withTargets: boolean): void {
  const lines: string[] = [];
  for (let i = 0; i < recs.titles.length; i++) {
    const o: Record<string, unknown> = { uid: recs.uids[i] ?? String(i), title: recs.titles[i], content: recs.contents[i] ?? '' };
    if (withTargets) o.target_ind = recs.targets[i] ?? [];
    lines.push(JSON.stringify(o) + '\n');
  }
  writeTextFile(path, [lines.join('')]);
}
