// The run directory's safety rules and integrity records (run.ts writes the directory through
// this module, which decides when it may and checks what it reads back; layout.ts lists the files):
//
// - A run directory that already holds a run is never touched until the new run's
//   configuration and data have been validated, and is replaced only with `force` (continued
//   with `resume`): checkRunDirFree refuses early, prepareRunDir claims the directory after the
//   checks.
// - manifest.json records the size and sha256 of model.safetensors, labels.jsonl and the memory
//   bank, as latest.json does for the checkpoint files; readers verify them, and refuse weights
//   that are not finite, naming the tensor.
// - The memory bank (written after each M1 epoch, beside the checkpoint) goes through two slots
//   so that a crash at any moment leaves the bank of the checkpoint on disk: the previous bank
//   moves to bank.prev.safetensors, the new one is written and recorded (with its epoch), the
//   checkpoint is saved, then the previous bank is dropped. A resume takes the recorded bank of
//   the checkpoint's epoch, from whichever slot holds it.
// A directory without manifest.json was written before these records existed: it is read as
// before (finiteness is still checked).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fs';
import type { RunConfig } from '../run-config';
import { BANK_FILE, BANK_PREV, CHECKPOINT_DIR, CONFIG_FILE, LABELS_FILE, LOG_FILE, MANIFEST, METRICS_FILE, MODEL_FILE, RUN_FILES } from './layout';
import { isFinished } from './log';
import { lockConflict, writableConflict } from './lock';
import type { DatasetRecord } from './dataset';
import { encodeSafetensors, readSafetensors, type SafeTensor, type SafetensorsFile } from '../../model/safetensors';

interface FileRecord {
  bytes: number;
  sha256: string;
  /** Bank slots: the M1 epochs done when the bank was saved. */
  epoch?: number;
}

interface Manifest {
  format: 'ngame-run';
  version: 1;
  files: Record<string, FileRecord>;
  /** The dataset the run was trained on (dataset.ts; absent in runs written before 2026-12-07). */
  dataset?: DatasetRecord;
}

// ---- claiming a directory ----

export type RunDirState = { kind: 'none' } | { kind: 'finished' | 'unfinished' | 'started'; files: string[] };

/** What `dir` holds: nothing of a run, a finished run, an unfinished one (with a checkpoint), or one that saved no checkpoint. */
export function runDirState(dir: string): RunDirState {
  const latest = `${CHECKPOINT_DIR}/latest.json`; // written by src/model/checkpoint.ts with each checkpoint
  const files = [METRICS_FILE, MODEL_FILE, CONFIG_FILE, LOG_FILE, latest].filter((f) => existsSync(join(dir, f)));
  if (files.length === 0) return { kind: 'none' };
  const finished = files.includes(METRICS_FILE) || isFinished(dir);
  return { kind: finished ? 'finished' : files.includes(latest) ? 'unfinished' : 'started', files };
}

/**
 * What `dir` holds and what to do with it: the one wording of each state, used by every command
 * that meets it (train with or without --resume, eval, predict, embed, and the message of a
 * training stopped by a signal), so that no two of them give different advice.
 */
export function runDirAdvice(dir: string, st: RunDirState = runDirState(dir)): string {
  if (st.kind === 'none') return `${dir} holds no run: train one with 'ngame train --out ${dir}'`;
  const has = `(${st.files.join(', ')})`;
  const flags = 'and the flags it was started with';
  if (st.kind === 'finished') return `${dir} holds a finished run ${has}: pass --force to replace it with a new run, or --resume to continue its training`;
  if (st.kind === 'unfinished') return `${dir} holds an unfinished run ${has}: continue it with --resume ('ngame train --resume --out ${dir}' ${flags}), or pass --force to replace it with a new run`;
  return `${dir} holds a run stopped before its first checkpoint ${has}: there is nothing to resume; start it again with --force ('ngame train --force --out ${dir}' ${flags})`;
}

/** Why a run may not start in `dir`, or null. Read-only. */
export function runDirConflict(dir: string, opts: { resume?: boolean; force?: boolean }): string | null {
  if (opts.resume && opts.force) return '--force and --resume exclude each other: --resume continues the run in the directory, --force replaces it';
  const unavailable = lockConflict(dir) ?? writableConflict(dir);
  if (unavailable) return unavailable;
  const st = runDirState(dir);
  if (opts.resume) return st.kind === 'none' || st.kind === 'started' ? `--resume: no checkpoint in ${join(dir, CHECKPOINT_DIR)}: ${runDirAdvice(dir, st)}` : null;
  if (opts.force || st.kind === 'none') return null;
  return runDirAdvice(dir, st);
}

/** Throws runDirConflict's reason, if any. */
export function checkRunDirFree(dir: string, opts: { resume?: boolean; force?: boolean }): void {
  const why = runDirConflict(dir, opts);
  if (why) throw new Error(why);
}

/**
 * Claims `dir` for a run whose configuration and data have been validated: creates it, removes
 * the previous run's files when forced, and stores the label texts (predict needs no dataset)
 * and, when given, the record of the dataset (dataset.ts; a resumed run keeps the one it has).
 */
export function prepareRunDir(dir: string, opts: { resume?: boolean; force?: boolean }, labelTexts: string[], dataset?: DatasetRecord): void {
  checkRunDirFree(dir, opts);
  mkdirSync(dir, { recursive: true });
  if (opts.force) for (const f of RUN_FILES) rmSync(join(dir, f), { recursive: true, force: true });
  if (!opts.resume) rmSync(join(dir, LOG_FILE), { force: true });
  if (!opts.resume || !readManifest(dir)?.files[LABELS_FILE]) {
    writeRunFile(dir, LABELS_FILE, [Buffer.from(labelTexts.map((t) => JSON.stringify(t) + '\n').join(''), 'utf8')]);
  }
  if (dataset && !readManifest(dir)?.dataset) updateManifest(dir, (_, m) => void (m.dataset = dataset));
}

/** Writes `dir`/config.json atomically. */
export function writeRunConfig(dir: string, cfg: RunConfig): void {
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(cfg, null, 2) + '\n');
}

// ---- manifest ----

const sha256 = (parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

export function readManifest(dir: string): Manifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (m === null || typeof m !== 'object' || m.format !== 'ngame-run' || m.version !== 1 || typeof m.files !== 'object' || m.files === null) {
    throw new Error(`${path} is not an ngame run manifest (version 1)`);
  }
  return m;
}

function updateManifest(dir: string, change: (files: Record<string, FileRecord>, manifest: Manifest) => void): void {
  const m = readManifest(dir) ?? { format: 'ngame-run', version: 1, files: {} };
  change(m.files, m);
  writeFileAtomic(join(dir, MANIFEST), JSON.stringify(m, null, 2) + '\n');
}

/** Writes `name` in `dir` atomically and records its size and sha256 in the manifest. */
export function writeRunFile(dir: string, name: string, parts: Uint8Array[], epoch?: number): void {
  writeFileAtomic(join(dir, name), parts);
  const rec: FileRecord = { bytes: parts.reduce((n, p) => n + p.length, 0), sha256: sha256(parts) };
  if (epoch !== undefined) rec.epoch = epoch;
  updateManifest(dir, (files) => void (files[name] = rec));
}

/** Whether `path` has the recorded size and sha256. */
function matches(path: string, rec: FileRecord): boolean {
  return existsSync(path) && statSync(path).size === rec.bytes && fileRecord(path).sha256 === rec.sha256;
}

/** Verifies `name` against the manifest; false for a directory without one (written before manifests). */
export function verifyRunFile(dir: string, name: string): boolean {
  const m = readManifest(dir);
  if (!m) return false;
  const path = join(dir, name);
  const rec = m.files[name];
  const resume = 'the run did not finish writing it? continue it with ngame train --resume';
  if (!rec) throw new Error(`${path} is not recorded in ${join(dir, MANIFEST)} (${resume})`);
  if (!existsSync(path)) throw new Error(`${path} is missing (${join(dir, MANIFEST)} records it)`);
  const size = statSync(path).size;
  if (size !== rec.bytes) throw new Error(`${path} is ${size} bytes but ${join(dir, MANIFEST)} records ${rec.bytes} (truncated or replaced?)`);
  if (!matches(path, rec)) throw new Error(`${path} is corrupted (sha256 differs from ${join(dir, MANIFEST)})`);
  return true;
}

// ---- tensors ----

/** Throws, naming the tensor and the first bad element's row and column, if any value is not finite. */
export function checkFinite(tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>, where: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (Number.isFinite(d[i])) continue;
      const cols = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 0;
      const at = cols > 0 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `element ${i}`;
      throw new Error(`${where}: tensor "${name}" holds ${d[i]} at ${at}: the weights are not finite`);
    }
  }
}

/** Writes model.safetensors (refusing non-finite weights) and records it. */
export function writeModel(dir: string, tensors: Record<string, SafeTensor>, metadata: Record<string, string>): void {
  const path = join(dir, MODEL_FILE);
  checkFinite(tensors, `writing ${path}`);
  writeRunFile(dir, MODEL_FILE, encodeSafetensors(tensors, metadata, `writeSafetensors ${path}`));
}

/** Reads model.safetensors after checking it against the manifest, refusing non-finite weights. */
export function readModel(dir: string): SafetensorsFile {
  verifyRunFile(dir, MODEL_FILE);
  const path = join(dir, MODEL_FILE);
  const model = readSafetensors(path);
  checkFinite(model.tensors, path);
  return model;
}

// ---- memory bank ----

/**
 * Step 1 of saving M1 epoch `epoch` (the count of epochs done, as the checkpoint records it),
 * before its checkpoint: keeps the bank of the checkpoint on disk (epoch - 1) as the previous
 * slot, drops any other, then writes and records this epoch's bank.
 */
export function writeBank(dir: string, bank: { n: number; dim: number; data: Float32Array }, epoch: number): void {
  const path = join(dir, BANK_FILE);
  const prev = join(dir, BANK_PREV);
  const files = readManifest(dir)?.files ?? {};
  // A bank written before manifests existed belongs to the checkpoint on disk: record it as such.
  if (existsSync(path) && !files[BANK_FILE] && !files[BANK_PREV]) files[BANK_FILE] = { ...fileRecord(path), epoch: epoch - 1 };
  let keep: FileRecord | null = null;
  if (files[BANK_FILE]?.epoch === epoch - 1 && existsSync(path)) {
    renameSync(path, prev);
    keep = files[BANK_FILE];
  } else if (files[BANK_PREV]?.epoch === epoch - 1) {
    keep = files[BANK_PREV];
  } else {
    rmSync(prev, { force: true });
  }
  rmSync(path, { force: true });
  updateManifest(dir, (f) => {
    delete f[BANK_FILE];
    if (keep) f[BANK_PREV] = keep;
    else delete f[BANK_PREV];
  });
  const tensors = { bank: { dtype: 'F32' as const, shape: [bank.n, bank.dim], data: bank.data } };
  checkFinite(tensors, `writing ${path}`);
  writeRunFile(dir, BANK_FILE, encodeSafetensors(tensors, undefined, `writeSafetensors ${path}`), epoch);
}

/** Size and sha256 of a file, read in 4 MiB chunks (a bank can exceed what one Buffer holds). */
function fileRecord(path: string): FileRecord {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 22);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    let n: number;
    while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) {
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Step 3, once the checkpoint that uses the new bank is saved: drops the previous bank. */
export function dropPreviousBank(dir: string): void {
  rmSync(join(dir, BANK_PREV), { force: true });
  if (readManifest(dir)?.files[BANK_PREV]) updateManifest(dir, (files) => void delete files[BANK_PREV]);
}

/**
 * The memory bank saved with the checkpoint of M1 epoch `epoch`, verified against its record
 * (either slot); undefined for a directory of an older version that has none.
 */
export function readBank(dir: string, epoch: number): Float32Array | undefined {
  const m = readManifest(dir);
  const recs = m ? Object.entries(m.files).filter(([name]) => name === BANK_FILE || name === BANK_PREV) : [];
  let path = join(dir, BANK_FILE);
  if (recs.length > 0) {
    const rec = recs.find(([, r]) => r.epoch === epoch)?.[1];
    if (!rec) throw new Error(`${join(dir, MANIFEST)} records no memory bank for M1 epoch ${epoch}, the checkpoint's epoch; the run cannot be resumed (train it anew with --force)`);
    const found = [BANK_FILE, BANK_PREV].map((f) => join(dir, f)).find((p) => matches(p, rec));
    if (!found) {
      if (!existsSync(path) && !existsSync(join(dir, BANK_PREV))) throw new Error(`${path} is missing (${join(dir, MANIFEST)} records it); the run cannot be resumed`);
      throw new Error(`${path} is corrupted (size or sha256 differ from ${join(dir, MANIFEST)}'s record for epoch ${epoch}); the run cannot be resumed`);
    }
    path = found;
  } else if (!existsSync(path)) {
    return undefined;
  }
  const t = readSafetensors(path).tensors;
  checkFinite(t, path);
  return t.bank?.data as Float32Array | undefined;
}

// ---- label texts ----

/** The label texts stored in the run directory (verified), or null for a run that has none. */
export function readRunLabels(dir: string): string[] | null {
  const path = join(dir, LABELS_FILE);
  if (!existsSync(path)) return null;
  verifyRunFile(dir, LABELS_FILE);
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.pop(); // after the last '\n'
  return lines.map((line, i) => {
    let t: unknown;
    try {
      t = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
    }
    if (typeof t !== 'string') throw new Error(`${path}:${i + 1}: expected a JSON string`);
    return t;
  });
}
