// TF-IDF exactly as ../shared/data/README.md specifies it for the reference baselines:
//   tokens:  lowercase, then every maximal run of [a-z0-9] (single characters included)
//   tf:      1 + ln(count)                       (sublinear)
//   idf:     ln((n + 1) / (df + 1)) + 1           (smoothed; n, df over the fitting texts)
//   rows:    L2-normalised
// The fitting texts are the training documents plus the label texts. Tokens never seen while
// fitting are ignored at transform time.
import type { CSR } from '../data/csr';

const TOKEN = /[a-z0-9]+/g;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export class TfidfVectorizer {
  /** token → term id */
  readonly vocab = new Map<string, number>();
  /** (terms) inverse document frequencies */
  idf = new Float64Array(0);

  /** Learns vocabulary and idf from `texts` (each text counts once per term for df). */
  fit(texts: string[]): this {
    const df: number[] = [];
    const seen = new Set<number>();
    for (const text of texts) {
      seen.clear();
      for (const tok of tokenize(text)) {
        let id = this.vocab.get(tok);
        if (id === undefined) {
          id = this.vocab.size;
          this.vocab.set(tok, id);
          df.push(0);
        }
        if (!seen.has(id)) {
          seen.add(id);
          df[id]++;
        }
      }
    }
    const n = texts.length;
    this.idf = Float64Array.from(df, (d) => Math.log((n + 1) / (d + 1)) + 1);
    return this;
  }

  /** (texts × terms) L2-normalised sublinear TF-IDF rows, columns in increasing term id. */
  transform(texts: string[]): CSR {
    const indptr = new Int32Array(texts.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const counts = new Map<number, number>();
    texts.forEach((text, r) => {
      counts.clear();
      for (const tok of tokenize(text)) {
        const id = this.vocab.get(tok);
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const ids = [...counts.keys()].sort((a, b) => a - b);
      const w = ids.map((id) => (1 + Math.log(counts.get(id)!)) * this.idf[id]);
      const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      ids.forEach((id, j) => {
        idx.push(id);
        val.push(norm > 0 ? w[j] / norm : 0);
      });
      indptr[r + 1] = idx.length;
    });
    return { rows: texts.length, cols: this.vocab.size, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
  }
}
