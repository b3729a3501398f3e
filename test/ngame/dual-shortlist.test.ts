// NGAME's dual shortlist (src/ngame/dual-shortlist.ts): the merge of two candidate lists and its
// exact re-scoring, against brute force.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dualShortlist, fusedRecall, scoreWithIndexes } from '../../src/ngame/dual-shortlist';
import { buildLabelIndex } from '../../src/ngame/label-search';
import { fuseScores, retrieve } from '../../src/ngame/inference';
import { CpuBackend } from '../../src/tensor';
import { exactTopK } from '../../src/ngame/ann/exact';
import { mat } from '../../src/ngame/matrix';
import { Rng } from '../../src/util/rng';
import type { CSR } from '../../src/ngame/data';
import type { TopK } from '../../src/util/topk';

const cpu = new CpuBackend();
const f32dot = (a: Float32Array, i: number, b: Float32Array, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
  return Math.fround(s);
};
const row = (m: CSR, r: number) => Array.from({ length: m.indptr[r + 1] - m.indptr[r] }, (_, a) => ({ id: m.indices[m.indptr[r] + a], v: m.values[m.indptr[r] + a] }));

/** Random candidate lists: k slots per row, some empty (−1), some repeated. */
function candidates(rng: Rng, n: number, L: number, k: number): TopK {
  const indices = Int32Array.from({ length: n * k }, () => (rng.next() < 0.15 ? -1 : rng.int(L)));
  return { k, indices, values: new Float32Array(n * k) };
}

describe('dualShortlist', () => {
  it('keeps each row\'s distinct candidates, scores them exactly, fuses the union, best first', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 9999 }),
      (n, L, dim, k, beta, seed) => {
        const rng = new Rng(seed);
        const rand = (m: number) => Float32Array.from({ length: m * dim }, () => rng.normal());
        const docs = rand(n), emb = rand(L), clf = rand(L);
        const ce = candidates(rng, n, L, k), cc = candidates(rng, n, L, k);
        const s = dualShortlist(docs, emb, clf, dim, ce, cc, beta);
        for (let q = 0; q < n; q++) {
          const set = (c: TopK) => new Set(Array.from(c.indices.subarray(q * k, (q + 1) * k)).filter((l) => l >= 0));
          const E = set(ce), C = set(cc), U = new Set([...E, ...C]);
          const check = (m: CSR, want: Set<number>, value: (l: number) => number) => {
            const r = row(m, q);
            expect(new Set(r.map((e) => e.id))).toEqual(want);
            expect(r.length).toBe(want.size); // each label once
            for (const e of r) expect(e.v).toBe(Math.fround(value(e.id)));
            for (let a = 1; a < r.length; a++) expect(r[a - 1].v > r[a].v || (r[a - 1].v === r[a].v && r[a - 1].id < r[a].id)).toBe(true);
          };
          check(s.emb, E, (l) => f32dot(docs, q, emb, l, dim));
          check(s.clf!, C, (l) => f32dot(docs, q, clf, l, dim));
          check(s.fused, U, (l) => beta * f32dot(docs, q, clf, l, dim) + (1 - beta) * f32dot(docs, q, emb, l, dim));
        }
      }), { seed: 11, numRuns: 300 });
  });

  it('with every label a candidate, equals the exact path (fuseScores of two full exact lists)', async () => {
    const rng = new Rng(4);
    const n = 7, L = 40, dim = 12, beta = 0.3;
    const rand = (m: number) => Float32Array.from({ length: m * dim }, () => rng.normal());
    const docs = rand(n), emb = rand(L), clf = rand(L);
    const all: TopK = { k: L, indices: Int32Array.from({ length: n * L }, (_, i) => i % L), values: new Float32Array(n * L) };
    const s = dualShortlist(docs, emb, clf, dim, all, all, beta);
    const e = await retrieve(cpu, docs, emb, dim, L), c = await retrieve(cpu, docs, clf, dim, L);
    const f = fuseScores(e, c, beta);
    for (let q = 0; q < n; q++) {
      const byId = (m: CSR) => new Map(row(m, q).map((x) => [x.id, x.v]));
      expect(byId(s.emb)).toEqual(byId(e));
      expect(byId(s.clf!)).toEqual(byId(c));
      expect(byId(s.fused)).toEqual(byId(f));
    }
  });

  it('without classifiers, the embedding scores are the fused ones; refuses mismatched inputs', () => {
    const docs = Float32Array.from([1, 0]), emb = Float32Array.from([1, 0, 0, 1]);
    const c: TopK = { k: 2, indices: Int32Array.from([1, 0]), values: new Float32Array(2) };
    const s = dualShortlist(docs, emb, null, 2, c, null, 0.5);
    expect(s.clf).toBeNull();
    expect(s.fused).toBe(s.emb);
    expect(Array.from(s.emb.indices)).toEqual([0, 1]);
    expect(() => dualShortlist(docs, emb, emb, 2, c, null, 0.5)).toThrow(/classifier candidates need the classifiers/);
    expect(() => dualShortlist(docs, emb, null, 2, c, null, 1.5)).toThrow(/beta must be in \[0, 1\]/);
  });

  it('through HNSW graphs (scoreWithIndexes), finds what exact candidate lists find, on clustered data', async () => {
    const rng = new Rng(9);
    const dim = 16, L = 600, n = 50, centers = 20, K = 20;
    const C = Float32Array.from({ length: centers * dim }, () => rng.normal());
    const unit = (x: Float32Array) => {
      for (let i = 0; i < x.length / dim; i++) {
        let s = 0;
        for (let t = 0; t < dim; t++) s += x[i * dim + t] ** 2;
        for (let t = 0; t < dim; t++) x[i * dim + t] /= Math.sqrt(s);
      }
      return x;
    };
    const points = (m: number) => unit(Float32Array.from({ length: m * dim }, (_, i) => C[(Math.floor(i / dim) % centers) * dim + (i % dim)] + 0.5 * rng.normal()));
    const emb = points(L), docs = points(n);
    const clf = unit(emb.map((v) => v + 0.2 * rng.normal())); // M2 starts from the label embeddings
    const p = { M: 12, efConstruction: 100, efSearch: 100, efShortlist: 100 };
    const s = await scoreWithIndexes({ emb: await buildLabelIndex(emb, dim, p, 1), clf: await buildLabelIndex(clf, dim, p, 2) }, docs, emb, clf, dim, K, 0.5);
    const exact = (t: Float32Array) => exactTopK(mat(n, dim, docs), mat(L, dim, t), K);
    const want = dualShortlist(docs, emb, clf, dim, exact(emb), exact(clf), 0.5);
    let hit = 0;
    for (let q = 0; q < n; q++) {
      const got = new Set(row(s.fused, q).slice(0, 5).map((e) => e.id));
      hit += row(want.fused, q).slice(0, 5).filter((e) => got.has(e.id)).length;
    }
    expect(hit / (5 * n)).toBeGreaterThan(0.97);
  });

  it('fusedRecall: 1 when every label is a candidate; counts the exact fused top-k a shortlist misses', async () => {
    const rng = new Rng(5);
    const n = 30, L = 50, dim = 8, beta = 0.4, k = 10;
    const rand = (m: number) => Float32Array.from({ length: m * dim }, () => rng.normal());
    const docs = rand(n), emb = rand(L), clf = rand(L);
    const all: TopK = { k: L, indices: Int32Array.from({ length: n * L }, (_, i) => i % L), values: new Float32Array(n * L) };
    const full = dualShortlist(docs, emb, clf, dim, all, all, beta);
    const r = await fusedRecall(cpu, full.fused, docs, emb, clf, dim, beta, k, 20, 3);
    expect(r).toEqual({ k, docs: 20, recall: 1, recall5: 1 });
    // Candidates: only the labels below 25. The exact fused top-k, by brute force, decides what is missed.
    const half: TopK = { k: 25, indices: Int32Array.from({ length: n * 25 }, (_, i) => i % 25), values: new Float32Array(n * 25) };
    const part = dualShortlist(docs, emb, clf, dim, half, half, beta);
    const got = await fusedRecall(cpu, part.fused, docs, emb, clf, dim, beta, k, n, 3); // every document
    let hit = 0, hit5 = 0;
    for (let q = 0; q < n; q++) {
      const f = (l: number) => beta * f32dot(docs, q, clf, l, dim) + (1 - beta) * f32dot(docs, q, emb, l, dim);
      const order = Array.from({ length: L }, (_, l) => l).sort((a, b) => f(b) - f(a) || a - b);
      hit += order.slice(0, k).filter((l) => l < 25).length;
      hit5 += order.slice(0, 5).filter((l) => l < 25).length;
    }
    expect(got.recall).toBeCloseTo(hit / (n * k), 12);
    expect(got.recall5).toBeCloseTo(hit5 / (n * 5), 12);
    expect(got.recall).toBeLessThan(1);
  });
});
