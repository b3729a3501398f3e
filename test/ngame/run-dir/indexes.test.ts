// The HNSW graphs in a run directory (src/ngame/run-dir/indexes.ts): recorded in manifest.json,
// read back identical, and never used when missing, damaged or not the model's: rebuilt with a
// message naming the file.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_CLF, INDEX_EMB, openRunIndexes, readManifest, readRunIndex, writeRunIndexes } from '../../../src/ngame/run-dir';
import { buildLabelIndex, indexTopK, type LabelSearch } from '../../../src/ngame/label-search';
import { Rng } from '../../../src/util/rng';

const root = mkdtempSync(join(tmpdir(), 'ngame-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dim = 8, L = 300;
const rng = new Rng(2);
const table = () => {
  const x = Float32Array.from({ length: L * dim }, () => rng.normal());
  for (let i = 0; i < L; i++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += x[i * dim + t] ** 2;
    for (let t = 0; t < dim; t++) x[i * dim + t] /= Math.sqrt(s);
  }
  return x;
};
const emb = table(), clf = table();
const queries = table().subarray(0, 20 * dim);
const search: LabelSearch = { mode: 'hnsw', hnsw: { M: 8, efConstruction: 60, efSearch: 40, efShortlist: 40 }, seed: 5 };

async function freshRun(name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  writeRunIndexes(dir, { emb: await buildLabelIndex(emb, dim, search.hnsw, 5), clf: await buildLabelIndex(clf, dim, search.hnsw, 6) });
  return dir;
}

describe('run directory graphs', () => {
  it('round trip: recorded in the manifest, read back searching exactly as built', async () => {
    const dir = await freshRun('ok');
    const m = readManifest(dir)!;
    expect(m.files[INDEX_EMB].bytes).toBeGreaterThan(L * dim * 4);
    expect(m.files[INDEX_CLF].sha256).toMatch(/^[0-9a-f]{64}$/);
    const built = await buildLabelIndex(emb, dim, search.hnsw, 5);
    const read = readRunIndex(dir, INDEX_EMB, emb, dim);
    expect(await indexTopK(read, queries, 10)).toEqual(await indexTopK(built, queries, 10));
    const said: string[] = [];
    const ix = (await openRunIndexes(dir, emb, clf, dim, search, (s) => said.push(s)))!;
    expect(said).toEqual([]);
    expect(ix.clf!.size).toBe(L);
    // exact search needs no graph
    expect(await openRunIndexes(dir, emb, clf, dim, { ...search, mode: 'exact' }, (s) => said.push(s))).toBeNull();
    expect(await openRunIndexes(dir, emb, clf, dim, { ...search, mode: 'auto' }, (s) => said.push(s))).toBeNull(); // 300 labels: exact
  });

  it('a damaged, missing or foreign graph is refused, naming the file, and rebuilt from the model', async () => {
    const dir = await freshRun('bad');
    const path = join(dir, INDEX_EMB);
    const bytes = readFileSync(path);
    bytes[bytes.length - 5] ^= 1;
    writeFileSync(path, bytes);
    expect(() => readRunIndex(dir, INDEX_EMB, emb, dim)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupted \\(sha256 differs`));
    const said: string[] = [];
    const ix = (await openRunIndexes(dir, emb, clf, dim, search, (s) => said.push(s)))!;
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`${path} is corrupted`);
    expect(said[0]).toContain('rebuilding the graph from the model (300 rows)');
    expect(await indexTopK(ix.emb, queries, 10)).toEqual(await indexTopK(await buildLabelIndex(emb, dim, search.hnsw, 5), queries, 10));
    rmSync(join(dir, INDEX_CLF));
    expect(() => readRunIndex(dir, INDEX_CLF, clf, dim)).toThrow(/index.clf.hnsw is missing/);
    // the graph of another table (here: the classifiers' graph read as the embeddings')
    const other = await freshRun('swap');
    expect(() => readRunIndex(other, INDEX_CLF, emb, dim)).toThrow(/does not hold the model's vectors \(row 0 differs\)/);
    expect(() => readRunIndex(other, INDEX_EMB, emb.subarray(0, 10 * dim), dim)).toThrow(/graph of 300 × 8, not the model's 10 × 8/);
  });
});
