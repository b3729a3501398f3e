// Encoding whole corpora with a trained encoder, batch by batch, without recording gradients.
// Rows are ordered by length (tokens or terms) first so each batch pads little, then written back in order.

import * as T from '../tensor';
import type { TextEncoder } from '../model/text-encoder';
import { corpusBatch, corpusLengths, type Corpus } from './corpus';
import type { Rng } from '../util/rng';

export interface EmbedOptions {
  batchSize?: number;
  /** Dropout on (NGAME M2 encodes its training documents this way once). */
  training?: boolean;
  rng?: Rng;
  /** Called after each batch with the rows done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** (n, D) row-major unit embeddings of every text in the corpus. */
export async function embedCorpus(enc: TextEncoder, c: Corpus, opts: EmbedOptions = {}): Promise<Float32Array> {
  const bs = opts.batchSize ?? 256;
  const D = enc.outDim;
  const out = new Float32Array(c.n * D);
  const len = corpusLengths(c);
  const order = Int32Array.from({ length: c.n }, (_, i) => i).sort((a, b) => len[a] - len[b] || a - b);
  for (let s = 0; s < c.n; s += bs) {
    const rows = order.subarray(s, Math.min(s + bs, c.n));
    const b = corpusBatch(c, rows);
    const emb = T.noGrad(() => T.scope(() => enc.encode(b, { training: opts.training ?? false, rng: opts.rng })));
    const host = (await emb.data()) as Float32Array;
    emb.release();
    for (let i = 0; i < rows.length; i++) out.set(host.subarray(i * D, (i + 1) * D), rows[i] * D);
    opts.onProgress?.(Math.min(s + bs, c.n), c.n);
  }
  return out;
}
