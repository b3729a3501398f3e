// Planted extreme-classification problems for tests and demonstrations: G groups, each with a
// random unit centre; documents and labels of a group are small perturbations of its centre,
// and each document's positives are a few labels of its own group. The geometry is known, so
// the negative-quality guarantees of NGAME batching can be checked exactly.

import { csrFromRows, type CSR } from './data';
import { Rng } from '../util/rng';

export interface PlantedOptions {
  groups: number;
  docsPerGroup: number;
  labelsPerGroup: number;
  /** Positives per document (drawn from its group's labels). */
  positivesPerDoc: number;
  dim: number;
  /** Standard deviation of the per-coordinate noise around the centre. */
  noise: number;
  seed: number;
}

export interface Planted {
  /** (N, dim) unit rows. */
  docs: Float32Array;
  /** (L, dim) unit rows. */
  labels: Float32Array;
  Y: CSR;
  docGroup: Int32Array;
  labelGroup: Int32Array;
  dim: number;
}

function unitNoisy(center: Float32Array, noise: number, rng: Rng, out: Float32Array, off: number): void {
  let n2 = 0;
  for (let j = 0; j < center.length; j++) {
    const v = center[j] + noise * rng.normal();
    out[off + j] = v;
    n2 += v * v;
  }
  const inv = 1 / Math.sqrt(n2);
  for (let j = 0; j < center.length; j++) out[off + j] *= inv;
}

export function plantedProblem(o: PlantedOptions): Planted {
  const rng = new Rng(o.seed);
  const N = o.groups * o.docsPerGroup;
  const L = o.groups * o.labelsPerGroup;
  const docs = new Float32Array(N * o.dim);
  const labels = new Float32Array(L * o.dim);
  const docGroup = new Int32Array(N);
  const labelGroup = new Int32Array(L);
  const rows: number[][] = [];
  for (let g = 0; g < o.groups; g++) {
    const c = new Float32Array(o.dim);
    unitNoisy(new Float32Array(o.dim), 1, rng, c, 0);
    for (let l = 0; l < o.labelsPerGroup; l++) {
      const id = g * o.labelsPerGroup + l;
      labelGroup[id] = g;
      unitNoisy(c, o.noise, rng, labels, id * o.dim);
    }
    for (let i = 0; i < o.docsPerGroup; i++) {
      const id = g * o.docsPerGroup + i;
      docGroup[id] = g;
      unitNoisy(c, o.noise, rng, docs, id * o.dim);
      const pos = new Set<number>();
      while (pos.size < Math.min(o.positivesPerDoc, o.labelsPerGroup)) pos.add(g * o.labelsPerGroup + rng.int(o.labelsPerGroup));
      rows.push([...pos].sort((a, b) => a - b));
    }
  }
  return { docs, labels, Y: csrFromRows(L, rows), docGroup, labelGroup, dim: o.dim };
}
