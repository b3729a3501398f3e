// runTraining's stages (src/ngame/run.ts) as they use the run's settings: here the clustering
// choice, which reaches both the ngame sampler (M1) and M2, and what the log records of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../../src/ngame/run';
import { readRunLog } from '../../src/ngame/run-dir';
import { DEFAULT_RUN, mergeConfig } from '../../src/ngame/run-config';
import { tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-run-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runTraining: clustering', () => {
  it('above clustering.autoAbove, M1 and M2 cluster with the sampled method; the log records balance, quality and the check', async () => {
    const train = async (autoAbove: number, out: string) => {
      const cfg = mergeConfig(DEFAULT_RUN, { ...tinyConfig, data: join(dir, 'data'), clustering: { autoAbove, checkPoints: 32 } });
      await runTraining(cfg, join(dir, out));
      return readRunLog(join(dir, out));
    };
    // 48 training documents: a threshold of 20 samples, the default (100,000) does not
    const small = await train(20, 'sampled');
    for (const r of [small.m1Epochs[0], small.m2Epochs[0]]) {
      const c = r.clustering!;
      expect(c.method).toBe('sampled');
      expect(c.points).toBe(48);
      expect(c.clusters).toBe(16); // size 4: 2^ceil(log2(48 / 4))
      expect(c.minSize).toBeGreaterThanOrEqual(2);
      expect(c.maxSize).toBeLessThanOrEqual(4);
      expect(c.quality).toBeLessThanOrEqual(1);
      expect(c.sampleSize).toBe(6); // one in 8
      expect(c.check!.points).toBe(32);
      expect(c.check!.ratio).toBeCloseTo(c.check!.exact > 0 ? c.check!.sampled / c.check!.exact : 1, 12);
    }
    // M1 clusters at its first epoch (no warm-up here), before any forward pass has filled the
    // memory bank: all rows zero, quality 0; M2 clusters the encoded training documents.
    expect(small.m1Epochs[0].clustering!.quality).toBe(0);
    expect(small.m2Epochs[0].clustering!.quality).toBeGreaterThan(0.1);
    const exact = await train(DEFAULT_RUN.clustering.autoAbove, 'exact');
    expect(exact.m1Epochs[0].clustering!.method).toBe('exact');
    expect(exact.m2Epochs[0].clustering!.method).toBe('exact');
    expect(exact.m2Epochs[0].clustering!.check).toBeUndefined();
  });
});
