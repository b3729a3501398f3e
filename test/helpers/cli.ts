// Running the ngame CLI from tests: a child process per command (asynchronous, so the vitest
// worker's event loop keeps running), and the tiny dataset and configuration the CLI tests train on.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Rng } from '../../src/util/rng';
import { TfidfVectorizer } from '../../src/model/tokenizer/tfidf';
import { writeSparseMatrix } from '../../src/ngame/data';

export const bin = join(__dirname, '../../bin/ngame.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Starts `ngame args...`; `done` resolves when it exits. */
export function start(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [bin, ...args], { timeout: 240_000, env: { ...process.env, ...opts.env } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  child.stdin!.end(opts.input ?? '');
  return { child, done };
}

/** Runs `ngame args...` to its end. */
export function ngame(args: string[], input?: string | Buffer): Promise<CliResult> {
  return start(args, { input }).done;
}

/** 8 topics; each document mentions its topic's words, each label is a topic word pair. */
export function writeTinyDataset(root: string): void {
  const rng = new Rng(5);
  const topics = ['compiler parser grammar', 'network packet router', 'memory cache page', 'disk file block', 'thread lock mutex', 'shell script command', 'graphics pixel shader', 'database query index'];
  const labels = topics.flatMap((t) => { const w = t.split(' '); return [`${w[0]} ${w[1]}`, `${w[1]} ${w[2]}`]; });
  const docs = (n: number) => Array.from({ length: n }, (_, i) => {
    const t = i % topics.length;
    const w = topics[t].split(' ');
    return { text: `a ${w[rng.int(3)]} and ${w[rng.int(3)]} item ${i}`, labels: [2 * t, 2 * t + 1 - rng.int(2)].filter((v, j, a) => a.indexOf(v) === j).sort((a, b) => a - b) };
  });
  const write = (name: string, ds: { text: string; labels: number[] }[]) => {
    writeFileSync(join(root, `${name}_X.txt`), ds.map((d) => d.text).join('\n') + '\n');
    writeFileSync(join(root, `${name}_X_Y.txt`), `${ds.length} ${labels.length}\n` + ds.map((d) => d.labels.map((l) => `${l}:1.0`).join(' ')).join('\n') + '\n');
  };
  write('trn', docs(48));
  write('tst', docs(16));
  writeFileSync(join(root, 'Y.txt'), labels.join('\n') + '\n');
}

/**
 * Bag-of-words feature files (trn_X_Xf.txt, tst_X_Xf.txt, lbl_X_Xf.txt) for the tiny dataset in
 * `root`: the TF-IDF rows of its texts, as the XC repository ships precomputed features.
 */
export function writeTinyFeatures(root: string): void {
  const read = (name: string) => readFileSync(join(root, name), 'utf8').split('\n').slice(0, -1);
  const [trn, tst, lbl] = [read('trn_X.txt'), read('tst_X.txt'), read('Y.txt')];
  const tfidf = new TfidfVectorizer().fit([...trn, ...lbl]);
  writeSparseMatrix(join(root, 'trn_X_Xf.txt'), tfidf.transform(trn));
  writeSparseMatrix(join(root, 'tst_X_Xf.txt'), tfidf.transform(tst));
  writeSparseMatrix(join(root, 'lbl_X_Xf.txt'), tfidf.transform(lbl));
}

/** A run that trains in about a second on the cpu backend (with `data` added). */
export const tinyConfig = {
  device: 'cpu', vocabSize: 120, maxLen: 12,
  encoder: { dim: 16, layers: 1, heads: 2, ffn: 32, dropout: 0.1, layout: 'pre' },
  m1: { epochs: 1, batchSize: 8, lr: 0.005, warmupSteps: 2, evalEvery: 1, loss: 'auto' },
  curriculum: { warmupEpochs: 0, startSize: 4, doubleAt: [], maxSize: 4, reclusterEvery: 1 },
  m2: { epochs: 1, batchSize: 8, lr: 0.005, clusterSize: 4 },
  // No validation split unless a test asks for one: the tests know how many documents train.
  valFraction: 0,
  topK: 10,
};

/** Every file under `dir` (relative path → base64 of its bytes): equal snapshots = nothing touched. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/** The JSON lines of a run's log.jsonl. */
export function runLog(dir: string): { stage: string; epoch?: number }[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}
