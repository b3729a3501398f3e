// The run directory: everything one `ngame train` writes, and everything `eval`, `predict`,
// `embed`, `report`, `compare` and `train --resume` read back. Its files:
//   config.json          the RunConfig used (run-config.ts checks it)
//   log.jsonl            one JSON record per M1 epoch, per M2 epoch and one for the final metrics
//                        (log.ts: one type per record kind)
//   checkpoint/          encoder + featurizer + optimizer + RNG after each M1 epoch (resume;
//                        src/model/checkpoint.ts, with its own latest.json of sizes and sha256)
//   bank.safetensors     NGAME's memory bank after each M1 epoch (resume), with
//   bank.prev.safetensors  the previous one while the next checkpoint is written (files.ts)
//   model.safetensors    label embeddings and classifiers of the final model
//   labels.jsonl         the label texts (predict needs no dataset)
//   index.emb.hnsw       with search HNSW (label-search.ts): the graph over the label embeddings,
//   index.clf.hnsw       and the one over the M2 classifiers (ann/hnsw-io.ts format)
//   manifest.json        size and sha256 of the model, the bank(s), the label texts and the graphs
//   metrics.json         the final record again: M1, M2 and fused test metrics, device, timings
//   run.lock             while a training writes the directory: its pid (lock.ts)
import { join } from 'node:path';

export const CONFIG_FILE = 'config.json';
export const LOG_FILE = 'log.jsonl';
export const METRICS_FILE = 'metrics.json';
export const CHECKPOINT_DIR = 'checkpoint';
export const MANIFEST = 'manifest.json';
/** The label texts, one JSON string per line (a text may hold any character, line breaks too). */
export const LABELS_FILE = 'labels.jsonl';
export const MODEL_FILE = 'model.safetensors';
export const BANK_FILE = 'bank.safetensors';
export const BANK_PREV = 'bank.prev.safetensors';
/** Held by the one training that writes the directory (lock.ts); not a run file: --force leaves it. */
export const LOCK_FILE = 'run.lock';
/** The HNSW graphs of a run searched through HNSW: over the label embeddings, over the classifiers. */
export const INDEX_EMB = 'index.emb.hnsw';
export const INDEX_CLF = 'index.clf.hnsw';
/** Everything a run writes; `force` removes exactly these (other files in the directory stay). */
export const RUN_FILES = [CONFIG_FILE, LOG_FILE, METRICS_FILE, MODEL_FILE, BANK_FILE, BANK_PREV, LABELS_FILE, INDEX_EMB, INDEX_CLF, MANIFEST, CHECKPOINT_DIR];

/** The checkpoint directory of the run in `dir`. */
export const checkpointDir = (dir: string) => join(dir, CHECKPOINT_DIR);
