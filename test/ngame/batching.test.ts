// The curriculum's epoch planner (src/ngame/batching.ts), shared by the NGAME sampler and M2.
import { describe, expect, it } from 'vitest';
import { clusterSizeAt, CurriculumPlanner, MemoryBank, reclusterDue, type Curriculum } from '../../src/ngame/batching';
import { Rng } from '../../src/util/rng';

const cur: Curriculum = { warmupEpochs: 2, startSize: 2, doubleAt: [4, 6], maxSize: 4, reclusterEvery: 3 };

function bank(n: number, dim: number, seed: number): MemoryBank {
  const b = new MemoryBank(n, dim);
  const rng = new Rng(seed);
  b.update(Int32Array.from({ length: n }, (_, i) => i), Float32Array.from({ length: n * dim }, () => rng.normal()));
  return b;
}

describe('CurriculumPlanner', () => {
  it('follows clusterSizeAt and re-clusters exactly when reclusterDue says so', () => {
    const n = 61; // prime: clusters and batches do not divide evenly
    const docs = Int32Array.from({ length: n }, (_, i) => i);
    const b = bank(n, 8, 1);
    const planner = new CurriculumPlanner(cur);
    const rng = new Rng(7);
    let last: number | null = null;
    for (let epoch = 0; epoch < 10; epoch++) {
      const size = clusterSizeAt(epoch, cur);
      const due = reclusterDue(epoch, cur, last) || (size !== null && last === null);
      const p = planner.plan(epoch, b, docs, 8, 0, rng);
      expect(p.clusterSize, `epoch ${epoch}`).toBe(size);
      // Every document appears once per epoch, random or clustered.
      expect(Array.from(p.batches.flatMap((x) => Array.from(x))).sort((a, c) => a - c)).toEqual(Array.from(docs));
      if (size === null) expect(p.overheadMs).toBe(0);
      expect(planner.clustered).toBe(size !== null || last !== null);
      // The clustering is redone (and timed) only on the epochs the schedule says.
      if (!due) expect(p.overheadMs, `epoch ${epoch}`).toBe(0);
      if (size !== null) last = size;
    }
    // The schedule: random for 2 epochs, size 2 from 2, 4 from 4 (6 would be 8, capped at 4).
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((e) => clusterSizeAt(e, cur))).toEqual([null, null, 2, 2, 4, 4, 4, 4]);
    expect([2, 3, 4, 5, 6, 7, 8].map((e, i, a) => reclusterDue(e, cur, i === 0 ? null : clusterSizeAt(a[i - 1], cur)))).toEqual([true, false, true, true, false, false, true]);
  });

  it('gives the same batches for the same seeds (reproducible runs)', () => {
    const docs = Int32Array.from({ length: 40 }, (_, i) => i);
    const run = () => {
      const planner = new CurriculumPlanner(cur);
      const rng = new Rng(3);
      return Array.from({ length: 6 }, (_, e) => planner.plan(e, bank(40, 4, 2), docs, 8, 5, rng).batches.map((x) => Array.from(x)));
    };
    expect(run()).toEqual(run());
  });

  it('clusters with the method the curriculum\'s clustering choice picks, and reports it on the epochs that cluster', () => {
    const n = 97;
    const docs = Int32Array.from({ length: n }, (_, i) => i);
    const b = bank(n, 6, 4);
    const plans = (c: Curriculum) => {
      const planner = new CurriculumPlanner(c);
      const rng = new Rng(5);
      return Array.from({ length: 5 }, (_, e) => planner.plan(e, b, docs, 8, 2, rng));
    };
    const plain = plans(cur);
    // at the threshold: the exact method, the same batches as a curriculum without a choice
    const atThreshold = plans({ ...cur, clustering: { method: 'auto', autoAbove: n, sampleSize: 0, checkPoints: 0 } });
    expect(atThreshold.map((p) => p.batches)).toEqual(plain.map((p) => p.batches));
    // a forced small threshold: the sampled method, reported with its check on the epochs that cluster
    const sampled = plans({ ...cur, clustering: { method: 'auto', autoAbove: 50, sampleSize: 0, checkPoints: 40 } });
    sampled.forEach((p, e) => {
      expect(Array.from(p.batches.flatMap((x) => Array.from(x))).sort((a, c) => a - c)).toEqual(Array.from(docs));
      const clustered = e === 2 || e === 4; // sizes 2 and 4 (cur's schedule)
      expect(p.clustering?.method, `epoch ${e}`).toBe(clustered ? 'sampled' : undefined);
      expect(plain[e].clustering?.method, `epoch ${e}`).toBe(clustered ? 'exact' : undefined);
      if (clustered) {
        expect(p.clustering!.points).toBe(n);
        expect(p.clustering!.maxSize).toBeLessThanOrEqual(p.clusterSize!);
        expect(p.clustering!.check!.points).toBe(40);
      }
    });
    expect(sampled.map((p) => p.batches)).not.toEqual(plain.map((p) => p.batches));
  });
});
