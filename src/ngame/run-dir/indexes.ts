// The HNSW graphs of a run whose search resolves to HNSW (label-search.ts): written at the end of
// training beside model.safetensors and recorded in manifest.json like it (size and sha256), read
// back by `eval` and `predict`. A graph that is missing, corrupt (manifest or checksum), or not
// the graph of the run's model (another row count, dim, metric or vectors) is never used: it is
// rebuilt from the model, with a message naming the file and what was wrong (the run directory
// is left as it is).
import { join } from 'node:path';
import { HnswIndex } from '../ann/hnsw';
import { encodeHnsw, loadHnsw } from '../ann/hnsw-io';
import { buildLabelIndex, resolveSearch, type LabelSearch } from '../label-search';
import type { LabelIndexes } from '../dual-shortlist';
import { verifyRunFile, writeRunFile } from './files';
import { INDEX_CLF, INDEX_EMB, MANIFEST } from './layout';

/** Writes the graphs of a run and records them in its manifest. */
export function writeRunIndexes(dir: string, indexes: LabelIndexes): void {
  writeRunFile(dir, INDEX_EMB, encodeHnsw(indexes.emb));
  if (indexes.clf) writeRunFile(dir, INDEX_CLF, encodeHnsw(indexes.clf));
}

/** The graph in `dir`/`name`, verified against the manifest and against `table` (L × dim), or throws why not. */
export function readRunIndex(dir: string, name: string, table: Float32Array, dim: number): HnswIndex {
  const path = join(dir, name);
  if (!verifyRunFile(dir, name)) throw new Error(`${path}: the run has no ${MANIFEST} to check it against`);
  const index = loadHnsw(path);
  const L = table.length / dim;
  if (index.metric !== 'ip' || index.dim !== dim || index.size !== L) {
    throw new Error(`${path} is a ${index.metric} graph of ${index.size} × ${index.dim}, not the model's ${L} × ${dim} (ip)`);
  }
  const v = index.vecs;
  for (let i = 0; i < table.length; i++) if (v[i] !== table[i]) throw new Error(`${path} does not hold the model's vectors (row ${Math.floor(i / dim)} differs)`);
  return index;
}

/**
 * The graphs for inference with `search` over a run's model, or null when it resolves to exact
 * search: each read from the run directory, or rebuilt (telling `say` why) when it cannot be used.
 */
export async function openRunIndexes(dir: string, labelEmb: Float32Array, classifiers: Float32Array | null, dim: number, search: LabelSearch, say: (msg: string) => void): Promise<LabelIndexes | null> {
  if (resolveSearch(search.mode, labelEmb.length / dim) === 'exact') return null;
  const open = async (name: string, table: Float32Array) => {
    try {
      return readRunIndex(dir, name, table, dim);
    } catch (e) {
      say(`${(e as Error).message}: rebuilding the graph from the model (${table.length / dim} rows)`);
      return buildLabelIndex(table, dim, search.hnsw, search.seed);
    }
  };
  return { emb: await open(INDEX_EMB, labelEmb), clf: classifiers ? await open(INDEX_CLF, classifiers) : null };
}
