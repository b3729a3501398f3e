// A small dataset in the Extreme Classification Repository's LF JSON-lines layout (trn.json.gz,
// tst.json.gz, lbl.json.gz), cut from the embedded FOLDOC-XRef-8K: its first `train` and `test`
// documents and only the labels they name, renumbered in order. Trains in seconds. `dir` is created.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, writeLfJson, type CSR } from '../../src/ngame/data';

export async function writeLfSlice(dir: string, opts: { train: number; test: number }): Promise<{ labels: number }> {
  mkdirSync(dir, { recursive: true });
  const data = await loadDataset();
  const rows = (Y: CSR, n: number) => Array.from({ length: n }, (_, i) => Array.from(Y.indices.subarray(Y.indptr[i], Y.indptr[i + 1])));
  const trn = rows(data.trainY, opts.train);
  const tst = rows(data.testY, opts.test);
  const used = [...new Set([...trn.flat(), ...tst.flat()])].sort((a, b) => a - b);
  const id = new Map(used.map((l, i) => [l, i]));
  const records = (texts: string[], targets: number[][], prefix: string) => ({
    uids: targets.map((_, i) => `${prefix}${i}`), titles: texts.slice(0, targets.length), contents: targets.map(() => ''),
    targets: targets.map((t) => t.map((l) => id.get(l)!)),
  });
  writeLfJson(join(dir, 'trn.json.gz'), records(data.trainTexts, trn, 'd'), true);
  writeLfJson(join(dir, 'tst.json.gz'), records(data.testTexts, tst, 't'), true);
  writeLfJson(join(dir, 'lbl.json.gz'), { uids: used.map((l) => `l${l}`), titles: used.map((l) => data.labelTexts[l]), contents: used.map(() => ''), targets: [] }, false);
  return { labels: used.length };
}
