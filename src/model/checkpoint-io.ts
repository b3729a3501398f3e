// Checkpoint directories: tensors (weights, optimizer moments such as `opt.m.<name>`) in a
// safetensors file, everything else (model config, tokenizer JSON, optimizer scalars, step, epoch,
// RNG state, extras) in a JSON file.
//
// Crash safety: versioned files plus a pointer. A save with generation g (one more than any
// generation in the directory) runs these steps:
//   1. write model-<g>.safetensors   (atomic: temporary file, fsync, rename)
//   2. write state-<g>.json          (atomic)
//   3. write latest.json             (atomic) = { generation g, both file names, sizes, sha256 }
//   4. delete the files of all but the `keep` newest complete generations, and stray temporary files.
// A loader only follows latest.json. Until step 3's rename, latest.json still names the previous
// generation, whose files are untouched (new files never reuse an old name); after it, it names
// the new one, whose files are complete. So a crash (or SIGKILL) at any moment leaves a loadable
// checkpoint, and at worst some orphan files that the next save removes. The checksums in
// latest.json make a file damaged later (truncated, bit flips) fail loudly on load.
// One writer per directory at a time.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs';
import { encodeSafetensors, readSafetensors, type LoadedTensor, type SafeTensor } from './safetensors';

/** JSON-serialisable values (no NaN/Infinity, no typed arrays: those belong in tensors). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Checkpoint {
  tensors: Record<string, SafeTensor>;
  /** Plain JSON (checked on save: no NaN/Infinity, undefined, class instances or typed arrays). */
  state: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  tensors: Record<string, LoadedTensor>;
  state: Record<string, JsonValue>;
  generation: number;
}

export type SaveStep = 'model' | 'state' | 'pointer' | 'cleanup';

export interface SaveOptions {
  /** How many complete generations to keep on disk (default 1: only the new one after saving). */
  keep?: number;
  /** Called after each step completes (progress reporting; tests inject failures here). */
  afterStep?: (step: SaveStep) => void;
}

export interface SaveResult {
  generation: number;
  modelFile: string;
  stateFile: string;
}

const POINTER = 'latest.json';
const MODEL_RE = /^model-(\d+)\.safetensors$/;
const STATE_RE = /^state-(\d+)\.json$/;
// Temporary files that writeFileAtomic leaves behind when killed mid-write.
const TEMP_RE = /^\.(model-\d+\.safetensors|state-\d+\.json|latest\.json)\..*\.tmp$/;

interface Pointer {
  format: 'ngame-checkpoint';
  version: 1;
  generation: number;
  model: string;
  modelBytes: number;
  modelSha256: string;
  state: string;
  stateBytes: number;
  stateSha256: string;
}

const pad = (g: number) => String(g).padStart(6, '0');

/** Save a checkpoint into `dir` (created if needed), crash-safely; see the file comment. */
export function saveCheckpoint(dir: string, checkpoint: Checkpoint, options: SaveOptions = {}): SaveResult {
  const keep = options.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`saveCheckpoint: keep must be an integer >= 1, got ${keep}`);
  // Everything that can fail on bad input fails here, before the disk is touched.
  checkJson(checkpoint.state, 'state');
  const stateBytes = Buffer.from(JSON.stringify(checkpoint.state), 'utf8');
  mkdirSync(dir, { recursive: true });
  const generation = newestGeneration(dir) + 1;
  const modelFile = `model-${pad(generation)}.safetensors`;
  const stateFile = `state-${pad(generation)}.json`;
  const modelParts = encodeSafetensors(checkpoint.tensors, { generation: String(generation) }, `saveCheckpoint ${join(dir, modelFile)}`);

  writeFileAtomic(join(dir, modelFile), modelParts);
  options.afterStep?.('model');
  writeFileAtomic(join(dir, stateFile), stateBytes);
  options.afterStep?.('state');

  const modelHash = createHash('sha256');
  for (const p of modelParts) modelHash.update(p);
  const pointer: Pointer = {
    format: 'ngame-checkpoint',
    version: 1,
    generation,
    model: modelFile,
    modelBytes: modelParts.reduce((n, p) => n + p.length, 0),
    modelSha256: modelHash.digest('hex'),
    state: stateFile,
    stateBytes: stateBytes.length,
    stateSha256: createHash('sha256').update(stateBytes).digest('hex'),
  };
  writeFileAtomic(join(dir, POINTER), JSON.stringify(pointer, null, 2) + '\n');
  syncDirectory(dir); // make the renames durable across power loss, not only process death
  options.afterStep?.('pointer');

  removeOldFiles(dir, generation, keep);
  options.afterStep?.('cleanup');
  return { generation, modelFile, stateFile };
}

/** Does `dir` hold a checkpoint (a latest.json pointer)? */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, POINTER));
}

/** Load the checkpoint latest.json points to, verifying sizes and checksums. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const pointerPath = join(dir, POINTER);
  if (!existsSync(pointerPath)) throw new Error(`loadCheckpoint: no checkpoint in ${dir} (${POINTER} is missing)`);
  const pointer = readPointer(pointerPath);
  const modelPath = join(dir, pointer.model);
  const statePath = join(dir, pointer.state);
  verifyFile(modelPath, pointer.modelBytes, pointer.modelSha256);
  verifyFile(statePath, pointer.stateBytes, pointer.stateSha256);

  const { tensors } = readSafetensors(modelPath);
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new Error(`loadCheckpoint: ${statePath}: ${(e as Error).message}`);
  }
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    throw new Error(`loadCheckpoint: ${statePath} must hold a JSON object`);
  }
  return { tensors, state: state as LoadedCheckpoint['state'], generation: pointer.generation };
}

function readPointer(path: string): Pointer {
  let p: Partial<Pointer>;
  try {
    p = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`loadCheckpoint: ${path}: ${(e as Error).message}`);
  }
  const ok =
    p !== null &&
    typeof p === 'object' &&
    p.format === 'ngame-checkpoint' &&
    p.version === 1 &&
    Number.isInteger(p.generation) &&
    typeof p.model === 'string' &&
    MODEL_RE.test(p.model) &&
    typeof p.state === 'string' &&
    STATE_RE.test(p.state) &&
    Number.isInteger(p.modelBytes) &&
    Number.isInteger(p.stateBytes) &&
    typeof p.modelSha256 === 'string' &&
    typeof p.stateSha256 === 'string';
  if (!ok) throw new Error(`loadCheckpoint: ${path} is not an ngame checkpoint pointer (version 1)`);
  return p as Pointer;
}

function verifyFile(path: string, bytes: number, sha256: string): void {
  if (!existsSync(path)) throw new Error(`loadCheckpoint: ${path} is missing`);
  const size = statSync(path).size;
  if (size !== bytes) {
    throw new Error(`loadCheckpoint: ${path} is ${size} bytes but the checkpoint recorded ${bytes} (truncated or replaced?)`);
  }
  if (sha256File(path) !== sha256) throw new Error(`loadCheckpoint: ${path} is corrupted (sha256 mismatch)`);
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 22);
  const fd = openSync(path, 'r');
  try {
    let n: number;
    while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The largest generation named by any checkpoint file in `dir` (0 if none). */
function newestGeneration(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const m = MODEL_RE.exec(name) ?? STATE_RE.exec(name);
    if (m) newest = Math.max(newest, Number(m[1]));
  }
  const pointerPath = join(dir, POINTER);
  if (existsSync(pointerPath)) {
    try {
      newest = Math.max(newest, readPointer(pointerPath).generation);
    } catch {
      // An unreadable pointer is replaced by this save; the file scan above decides the number.
    }
  }
  return newest;
}

/**
 * Keep the `keep` newest complete generations (model and state both present; `current` is one),
 * delete every other checkpoint file and stray temporary file.
 */
function removeOldFiles(dir: string, current: number, keep: number): void {
  const names = readdirSync(dir);
  const models = new Set<number>();
  const states = new Set<number>();
  for (const name of names) {
    const m = MODEL_RE.exec(name);
    if (m) models.add(Number(m[1]));
    const s = STATE_RE.exec(name);
    if (s) states.add(Number(s[1]));
  }
  const complete = [...models].filter((g) => states.has(g) && g < current).sort((a, b) => b - a);
  const kept = new Set([current, ...complete.slice(0, keep - 1)]);
  for (const name of names) {
    const m = MODEL_RE.exec(name) ?? STATE_RE.exec(name);
    if ((m && !kept.has(Number(m[1]))) || TEMP_RE.test(name)) rmSync(join(dir, name), { force: true });
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the renames are still atomic.
  }
}

/** Refuse values JSON would silently change (NaN → null, typed arrays → objects, undefined dropped). */
function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`saveCheckpoint: ${path} is ${value}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`));
    return;
  }
  if (ArrayBuffer.isView(value)) {
    throw new Error(`saveCheckpoint: ${path} is a typed array; store it in tensors, not state`);
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) checkJson(v, `${path}.${k}`);
    return;
  }
  const what = value === undefined ? 'undefined' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'null-prototype object'}` : `a ${typeof value}`;
  throw new Error(`saveCheckpoint: ${path} is ${what}, not plain JSON`);
}
