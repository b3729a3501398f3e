// bench/scale.ts without running a stage: its arguments, when it reuses a generated set, and the
// arithmetic of its extrapolation to a default run.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetAction, extrapolate, parseScaleArgs } from '../../bench/scale';
import type { StageResult } from '../../bench/_scale-stages';
import { writeSynthDataset } from '../../src/ngame/data/synth-xc';
import { DEFAULT_RUN } from '../../src/ngame/run-config';

const root = mkdtempSync(join(tmpdir(), 'ngame-bench-scale-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('parseScaleArgs', () => {
  it('takes a paper shape or a custom size, with defaults for the rest', () => {
    const a = parseScaleArgs(['--shape', 'lf-amazontitles-131k'], '/home/u');
    expect(a).toMatchObject({ shapeName: 'lf-amazontitles-131k', seed: 0, inferDocs: 20_000, device: 'auto', json: false, skipM2: false, dataDir: '/home/u/xc/synth-lf-amazontitles-131k-s0' });
    expect(parseScaleArgs(['--shape', 'lf-amazontitles-1.3m', '--skip-m2']).skipM2).toBe(true);
    expect(a.shape.labels).toBe(131_073);
    const b = parseScaleArgs(['--train-docs', '20000', '--labels', '15000', '--test-docs', '500', '--seed', '3', '--json', '--data-dir', '/d'], '/home/u');
    expect(b).toMatchObject({ shapeName: null, seed: 3, inferDocs: 500, json: true, dataDir: '/d' });
    expect(b.shape).toEqual({ trainDocs: 20_000, testDocs: 500, labels: 15_000, labelsPerDoc: 2.29, vocab: 0 });
    expect(parseScaleArgs(['--train-docs', '1000', '--labels', '900']).shape.testDocs).toBe(457);
    expect(parseScaleArgs(['--train-docs', '1000', '--labels', '900']).inferDocs).toBe(457);
    expect(parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--set', 'hnsw.efConstruction=100', '--set', 'hnsw.efSearch=600']).sets).toEqual(['hnsw.efConstruction=100', 'hnsw.efSearch=600']);
    expect(a.sets).toEqual([]);
  });

  it('names what is wrong', () => {
    expect(() => parseScaleArgs(['--shape', 'amazon-3m'])).toThrow(/--shape must be one of lf-amazontitles-131k, lf-amazontitles-1.3m, got "amazon-3m"/);
    expect(() => parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--labels', '5'])).toThrow(/drop --labels/);
    expect(() => parseScaleArgs(['--labels', '5'])).toThrow(/--train-docs and --labels/);
    expect(() => parseScaleArgs(['--train-docs', 'x', '--labels', '5'])).toThrow(/--train-docs must be a number, got "x"/);
    expect(() => parseScaleArgs(['--train-docs', '100', '--labels', '1'])).toThrow(/--labels must be an integer >= 2/);
    expect(() => parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--device', 'tpu'])).toThrow(/--device/);
    expect(() => parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--bogus'])).toThrow(/bogus/);
    expect(() => parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--set', 'hnsw.efc=100'])).toThrow(/--set: unknown key "hnsw.efc"/);
    expect(() => parseScaleArgs(['--shape', 'lf-amazontitles-131k', '--set', 'hnsw.M=1'])).toThrow(/hnsw.M must be at least 2/);
  });
});

describe('datasetAction', () => {
  it('generates into a missing or empty directory, reuses the same set, refuses anything else', () => {
    const shape = { trainDocs: 50, testDocs: 20, labels: 40, labelsPerDoc: 2, vocab: 0 };
    const dir = join(root, 'set');
    expect(datasetAction(dir, shape, 1)).toBe('generate');
    mkdirSync(dir);
    expect(datasetAction(dir, shape, 1)).toBe('generate');
    writeSynthDataset(dir, shape, 1);
    expect(datasetAction(dir, shape, 1)).toBe('reuse');
    expect(() => datasetAction(dir, shape, 2)).toThrow(/holds another synthetic set/);
    expect(() => datasetAction(dir, { ...shape, labels: 41 }, 1)).toThrow(/holds another synthetic set/);
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'trn_X.txt'), 'x\n');
    expect(() => datasetAction(other, shape, 1)).toThrow(/has no synth.json/);
  });
});

describe('extrapolate', () => {
  const st = (stage: string, seconds: number, parts?: Record<string, number>): [string, StageResult] => [stage, { stage, status: 'ok', seconds, rssBytes: 0, peakRssBytes: 0, note: '', ...(parts ? { parts } : {}) }];
  const shape = { trainDocs: 10_000, testDocs: 4_000, labels: 5_000, labelsPerDoc: 2, vocab: 0 };

  it('counts M1 epochs, the curriculum re-clusterings, M2 epochs, β and every test document', () => {
    const stages = new Map([
      st('load and featurize', 3), st('M1 epoch', 10), st('clustering', 2), st('encode labels', 1),
      st('M2 epoch with shortlist', 20, { encodeTrainDocs: 4, shortlistAndClustering: 6 }), st('index build', 5), st('index build (classifiers)', 6), st('inference', 8), st('evaluation', 2),
    ]);
    const terms = Object.fromEntries(extrapolate(DEFAULT_RUN, shape, 1_000, stages).map((t) => [t.term, t.seconds]));
    expect(terms['30 M1 epochs']).toBe(300);
    expect(terms['5 clusterings']).toBe(10); // epochs 5, 10, 15, 20, 25 with the default curriculum
    expect(terms['M2: encode, shortlist, 5 epochs']).toBe(4 + 6 + 5 * 10);
    expect(terms['index builds (label embeddings in M2, classifiers)']).toBe(11);
    expect(terms['β on 500 validation docs']).toBeCloseTo(500 * 0.01, 10);
    expect(terms['inference and evaluation of 4000 test docs']).toBeCloseTo(40, 10);
  });

  it('leaves a term unknown when its stage did not finish', () => {
    const failed: [string, StageResult] = ['M1 epoch', { stage: 'M1 epoch', status: 'failed', seconds: 0.1, rssBytes: 0, peakRssBytes: 0, note: 'failed: too large' }];
    const terms = extrapolate(DEFAULT_RUN, shape, 1_000, new Map([failed]));
    expect(terms.find((t) => t.term === '30 M1 epochs')!.seconds).toBeNull();
    expect(terms.every((t) => t.seconds === null)).toBe(true);
  });
});
