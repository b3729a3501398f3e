// The run's typed log (src/ngame/run-dir/log.ts): records read back as written, a damaged or
// foreign line named by file and line, "finished" meaning a final record, and the resumed run's
// M1 time counting the last record of each earlier epoch.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendLogRecord, hasRunConfig, isFinished, loggedM1Seconds, readRunLog, runDirState, writeFinalRecord, writeRunConfig,
  type FinalRecord, type M1EpochRecord, type M2EpochRecord,
} from '../../../src/ngame/run-dir';
import { DEFAULT_RUN } from '../../../src/ngame/run-config';

const root = mkdtempSync(join(tmpdir(), 'ngame-runlog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `r${n++}`);
  mkdirSync(d);
  return d;
};

const m1 = (epoch: number, epochMs: number): M1EpochRecord => ({
  stage: 'M1', sampler: 'ngame', epoch, steps: 3, loss: 1 / (epoch + 1), clusterSize: epoch > 0 ? 2 : null,
  overheadMs: 1, epochMs, peakBytes: 1024, skippedDocs: 0, lossName: 'infonce',
});
const m2: M2EpochRecord = { stage: 'M2', epoch: 0, steps: 2, loss: 0.5, clusterSize: 8, overheadMs: 0, epochMs: 10, peakBytes: 0 };
const metrics = { K: 5, P: [50, 40, 30, 25, 20], nDCG: [50, 45, 40, 38, 36], R: [10, 20, 30, 35, 40] };
const final: FinalRecord = {
  stage: 'final', sampler: 'ngame', dataset: 'tiny', device: 'cpu: test', date: '2026-12-02T00:00:00.000Z',
  seconds: { total: 3, m1: 2, m2: 0.5, eval: 0.5 }, m1: metrics, m2: null, fused: null, beta: 0.5, betaFrom: 'config',
};

describe('log.jsonl', () => {
  it('reads back each kind of record as written, in order', () => {
    const d = fresh();
    for (const r of [m1(0, 100), m1(1, 200), m2]) appendLogRecord(d, r);
    expect(isFinished(d)).toBe(false);
    writeFinalRecord(d, final);
    const log = readRunLog(d);
    expect(log.records).toEqual([m1(0, 100), m1(1, 200), m2, final]);
    expect(log.m1Epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(log.m2Epochs).toEqual([m2]);
    expect(log.final).toEqual(final);
    expect(JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8'))).toEqual(final);
    expect(isFinished(d)).toBe(true);
  });

  it('names the file and line of a record that is not valid', () => {
    const cases: [string, RegExp][] = [
      ['{"stage":"M1"', /log\.jsonl:2: not valid JSON/],
      ['[1,2]', /log\.jsonl:2: expected a JSON object/],
      ['{"stage":"M3","epoch":0}', /log\.jsonl:2: unknown stage "M3"/],
      ['{"stage":"M1","epoch":"0","loss":1,"epochMs":1}', /log\.jsonl:2: an M1 record needs numeric epoch, loss and epochMs/],
      ['{"stage":"final","m1":null}', /log\.jsonl:2: a final record needs m1 metrics and seconds/],
    ];
    for (const [line, err] of cases) {
      const d = fresh();
      writeFileSync(join(d, 'log.jsonl'), JSON.stringify(m1(0, 1)) + '\n' + line + '\n');
      expect(() => readRunLog(d)).toThrow(err);
      expect(isFinished(d)).toBe(false); // a damaged log is no finished run
    }
    expect(() => readRunLog(fresh())).toThrow(/no log\.jsonl/);
  });

  it('a run is finished by its final record', () => {
    const d = fresh();
    appendLogRecord(d, m1(0, 1));
    expect(isFinished(d)).toBe(false);
    expect(runDirState(d).kind).toBe('started');
    writeFinalRecord(d, final);
    expect(runDirState(d).kind).toBe('finished');
  });

  it('hasRunConfig compares the saved config, whatever its key order', () => {
    const d = fresh();
    writeFinalRecord(d, final);
    expect(hasRunConfig(d, DEFAULT_RUN)).toBe(false); // no config.json
    const reordered = Object.fromEntries(Object.entries(DEFAULT_RUN).reverse()) as typeof DEFAULT_RUN;
    writeRunConfig(d, reordered);
    expect(hasRunConfig(d, DEFAULT_RUN)).toBe(true);
    expect(hasRunConfig(d, { ...DEFAULT_RUN, seed: DEFAULT_RUN.seed + 1 })).toBe(false);
    writeFileSync(join(d, 'config.json'), '{"seed": ');
    expect(hasRunConfig(d, DEFAULT_RUN)).toBe(false); // a damaged config.json matches nothing
  });

  it("a resumed run's earlier M1 time takes the last record of each epoch before it", () => {
    const d = fresh();
    expect(loggedM1Seconds(d, 5)).toBe(0); // no log yet
    for (const r of [m1(0, 1000), m1(1, 2000), m1(1, 3000), m1(2, 500), m2]) appendLogRecord(d, r);
    expect(loggedM1Seconds(d, 2)).toBe(4); // epoch 1 was redone after a crash: 1 + 3
    expect(loggedM1Seconds(d, 3)).toBe(4.5);
    expect(existsSync(join(d, 'metrics.json'))).toBe(false);
  });
});
