// `--search hnsw` end to end on the tiny dataset: training builds, checks and saves the HNSW
// graphs (NGAME's dual shortlist), eval and predict load them, refuse a damaged one naming the
// file and rebuild it, and exact search stays available.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ngame, runLog, tinyConfig, writeTinyDataset } from '../helpers/cli';
import { readManifest } from '../../src/ngame/run-dir';

let dir = '';
let run = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-search-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
  const cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify({ ...tinyConfig, data: join(dir, 'data'), hnsw: { M: 4, efConstruction: 16, efSearch: 16, efShortlist: 16 } }));
  run = join(dir, 'run');
  const t = await ngame(['train', '--config', cfg, '--out', run, '--search', 'hnsw', '--quiet']);
  expect(t.code, t.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--search hnsw', () => {
  it('train saves both graphs in the manifest and logs their recall; eval with them prints the training metrics', async () => {
    const m = readManifest(run)!;
    expect(Object.keys(m.files)).toEqual(expect.arrayContaining(['index.emb.hnsw', 'index.clf.hnsw']));
    const final = runLog(run).at(-1) as unknown as { stage: string; search: { mode: string; embFromShortlist?: boolean; emb: { k: number; docs: number; recall: number }; clf: { recall: number }; fused?: { docs: number; recall: number; recall5: number } }; fused: { P: number[] } };
    expect(final.stage).toBe('final');
    expect(final.search.mode).toBe('hnsw');
    // the M2 shortlist's graph over the label embeddings is the inference graph: built once
    expect(final.search.embFromShortlist).toBe(true);
    // and it is the graph a fresh build gives (the next test: eval rebuilding it from the model gives the same results)
    const testDocs = Number(readFileSync(join(dir, 'data', 'tst_X_Y.txt'), 'utf8').split(/\s/)[0]);
    expect(final.search.emb.docs).toBe(testDocs); // every test document (fewer than the sample)
    expect(final.search.emb.recall).toBeGreaterThan(0.9);
    expect(final.search.clf.recall).toBeGreaterThan(0.9);
    // what inference returns: the fused dual shortlist against the exact fused top-k
    expect(final.search.fused!.docs).toBe(testDocs);
    expect(final.search.fused!.recall).toBeGreaterThan(0.9);
    expect(final.search.fused!.recall5).toBeGreaterThan(0.9);
    const e = await ngame(['eval', run, '--json', '--device', 'cpu']);
    expect(e.code, e.err).toBe(0);
    expect(e.err).not.toMatch(/rebuilding/);
    const rows = JSON.parse(e.out) as { name: string; metrics: { P: number[] } }[];
    expect(rows[2].metrics.P).toEqual(final.fused.P);
    const ex = await ngame(['eval', run, '--json', '--search', 'exact', '--device', 'cpu']);
    expect(ex.code, ex.err).toBe(0);
  });

  it('a damaged graph: eval and predict name the file, rebuild it, and give the same results', async () => {
    const before = await ngame(['predict', run, '-k', '3', '--json', '--device', 'cpu'], 'compiler parser\nnetwork router\n');
    expect(before.code, before.err).toBe(0);
    const path = join(run, 'index.clf.hnsw');
    const bytes = readFileSync(path);
    bytes[40] ^= 0xff;
    writeFileSync(path, bytes);
    const after = await ngame(['predict', run, '-k', '3', '--json', '--device', 'cpu'], 'compiler parser\nnetwork router\n');
    expect(after.code, after.err).toBe(0);
    expect(after.err).toContain(`${path} is corrupted (sha256 differs`);
    expect(after.err).toContain('rebuilding the graph from the model');
    expect(after.out).toBe(before.out);
    rmSync(join(run, 'index.emb.hnsw'));
    const e = await ngame(['eval', run, '--device', 'cpu']);
    expect(e.code, e.err).toBe(0);
    expect(e.err).toMatch(/index\.emb\.hnsw is missing/);
    expect(existsSync(join(run, 'index.emb.hnsw'))).toBe(false); // eval leaves the run directory as it is
    expect((await ngame(['eval', run, '--search', 'fast'])).code).toBe(2);
  });
});
