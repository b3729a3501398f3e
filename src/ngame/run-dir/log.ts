// log.jsonl, the run's journal: one JSON record per line, appended as training goes, never
// rewritten. Three kinds, told apart by `stage`:
//   'M1'     one per M1 epoch (train-m1.ts EpochLog: loss, cluster size, timings, hardness, metrics)
//   'M2'     one per M2 epoch (train-m2.ts M2EpochLog)
//   'final'  one per finished run: the test metrics of M1, M2 and their fusion, β, timings
// A resumed run appends to the same log, so an epoch redone after a crash appears twice; the
// last record of an epoch wins. A run is finished when its log holds a final record.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fs';
import type { Metrics } from '../metrics';
import type { EpochLog } from '../train-m1';
import type { M2EpochLog } from '../train-m2';
import type { SearchRecord } from '../label-search';
import type { BetaPoint, BetaRule } from '../validation';
import { checkConfig, readRunConfig, type RunConfig } from '../run-config';
import { CONFIG_FILE, LOG_FILE, METRICS_FILE } from './layout';

export type M1EpochRecord = EpochLog;
export type M2EpochRecord = M2EpochLog;

export interface FinalRecord {
  stage: 'final';
  sampler: string;
  dataset: string;
  device: string;
  /** ISO time the run finished. */
  date: string;
  /** M1 epochs done before a resume, when the run was resumed. */
  resumedAtEpoch?: number;
  /** Wall time; a resumed run's M1 and total include the epochs logged before the resume. */
  seconds: { total: number; m1: number; m2: number; eval: number };
  /** The training process's peak resident set size, in bytes (absent in logs written before 2026-12-07). */
  peakRssBytes?: number;
  m1: Metrics;
  m2: Metrics | null;
  fused: Metrics | null;
  /** The fusion weight used (absent in logs written before the validation split existed). */
  beta?: number;
  betaFrom?: 'validation' | 'config';
  /** A run searched through HNSW (label-search.ts): its graphs' parameters, build time and recall@k. */
  search?: SearchRecord;
  /** The validation curve, and (since 2026-12-07) the rule that read β off it and the tied run it took the middle of. */
  validation?: { docs: number; curve: BetaPoint[]; rule?: BetaRule; tied?: [number, number] };
  /** Set when `ngame eval --choose-beta --save` chose β again after training (src/ngame/rechoose-beta.ts): the β before. */
  betaRechosen?: { previous: number };
}

export type LogRecord = M1EpochRecord | M2EpochRecord | FinalRecord;

export interface RunLog {
  dir: string;
  /** Every record, in the order written. */
  records: LogRecord[];
  m1Epochs: M1EpochRecord[];
  m2Epochs: M2EpochRecord[];
  /** The last final record, or null for a run that has not finished. */
  final: FinalRecord | null;
}

/** Appends one record to `dir`/log.jsonl. */
export function appendLogRecord(dir: string, record: LogRecord): void {
  writeFileSync(join(dir, LOG_FILE), JSON.stringify(record) + '\n', { flag: 'a' });
}

const isNum = (x: unknown) => typeof x === 'number';

/** Why `e` is not a record of its stage, or null. */
function badRecord(e: Record<string, unknown>): string | null {
  switch (e.stage) {
    case 'M1':
    case 'M2':
      return ['epoch', 'loss', 'epochMs'].every((k) => isNum(e[k])) ? null : `an ${e.stage} record needs numeric epoch, loss and epochMs`;
    case 'final':
      return e.m1 && typeof e.m1 === 'object' && e.seconds && typeof e.seconds === 'object' ? null : 'a final record needs m1 metrics and seconds';
    default:
      return `unknown stage ${JSON.stringify(e.stage)} (expected "M1", "M2" or "final")`;
  }
}

/** Reads `dir`/log.jsonl; throws naming the file and line of a record that is not valid. */
export function readRunLog(dir: string): RunLog {
  const file = join(dir, LOG_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${LOG_FILE} (is it a run directory written by 'ngame train'?)`);
  const records: LogRecord[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`${file}:${i + 1}: expected a JSON object`);
    const why = badRecord(e as Record<string, unknown>);
    if (why) throw new Error(`${file}:${i + 1}: ${why}`);
    records.push(e as LogRecord);
  });
  return {
    dir,
    records,
    m1Epochs: records.filter((r): r is M1EpochRecord => r.stage === 'M1'),
    m2Epochs: records.filter((r): r is M2EpochRecord => r.stage === 'M2'),
    final: records.filter((r): r is FinalRecord => r.stage === 'final').pop() ?? null,
  };
}

/** Whether `dir` holds a finished run: a readable log with a final record. */
export function isFinished(dir: string): boolean {
  if (!existsSync(join(dir, LOG_FILE))) return false;
  try {
    return readRunLog(dir).final !== null;
  } catch {
    return false; // a damaged log is no finished run
  }
}

/**
 * Whether `dir`/config.json holds exactly `cfg`, whatever its key order (false when it is missing
 * or unreadable): compare keeps a finished run of its configuration and continues an unfinished one.
 */
export function hasRunConfig(dir: string, cfg: RunConfig): boolean {
  const saved = join(dir, CONFIG_FILE);
  if (!existsSync(saved)) return false;
  // Key order differs between a config read back and one built from flags: compare sorted.
  const canon = (c: unknown) => JSON.stringify(c, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
  const want = canon(checkConfig(cfg));
  try {
    return canon(readRunConfig(saved)) === want;
  } catch {
    return false; // a damaged config.json is no match
  }
}

/** Seconds of the M1 epochs before `epoch` already logged in `dir` (a resumed run counts them too). */
export function loggedM1Seconds(dir: string, epoch: number): number {
  if (!existsSync(join(dir, LOG_FILE))) return 0;
  const ms = new Map<number, number>(); // the last record per epoch wins (an epoch redone after a crash)
  for (const e of readRunLog(dir).m1Epochs) if (e.epoch < epoch) ms.set(e.epoch, e.epochMs ?? 0);
  return [...ms.values()].reduce((a, b) => a + b, 0) / 1000;
}

/** Ends a run: appends the final record and writes it as metrics.json too. */
export function writeFinalRecord(dir: string, record: FinalRecord): void {
  appendLogRecord(dir, record);
  writeFileAtomic(join(dir, METRICS_FILE), JSON.stringify(record, null, 2) + '\n');
}
