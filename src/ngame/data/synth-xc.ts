// Synthetic extreme-classification datasets with label text, of any shape, in the XC text format
// that loadDataset reads (trn_X.txt tst_X.txt Y.txt trn_X_Y.txt tst_X_Y.txt, the two filter
// files, and synth.json: what made them). For the paper's shapes (LF-AmazonTitles-131K and
// -1.3M) where the real sets are not at hand. (src/ngame/synthetic.ts is another thing: planted
// geometric embeddings for tests, no text.)
//
// The planted structure, all drawn from one seed:
//   vocabulary   V pronounceable made-up words (synth-words.ts); rank r has background
//                frequency ∝ 1/(r+1) (Zipf), the "noise" words of every text
//   topics       T = labels / 64 topics, each with its own 150 words (drawn from the whole
//                vocabulary, so topics share words) and a Zipfian distribution over them
//   labels       each in one topic, with a popularity w drawn Pareto (α 1.3): a long tail,
//                most labels in a few documents, some in none; its title is 2-5 words of its
//                topic plus one word of its own (rare in the corpus: the label's identity)
//   documents    K_d = 1 + geometric labels (mean `labelsPerDoc`), drawn by popularity from a
//                primary topic (chosen by its labels' total popularity) and, a quarter of them,
//                from a secondary topic; a 4-12 word title mixing words of its labels' titles
//                (25%), of its primary topic (35%) and background noise (40%)
//   filters      8% of the documents are themselves the object of one label of their topic
//                that is not among their positives (as a product titled like a label): their
//                title contains that label's title, and the pair is written to the filter file,
//                so that a Siamese model is not rewarded for retrieving the document itself.
// Train and test documents come from the same process with separate generator streams.
//
// Written streaming: every document is written as it is drawn, so memory holds the O(labels +
// vocabulary) structure, never the texts; every file goes to a temporary name and is renamed in
// place only when all are complete (util/fs.ts AtomicFileWriter).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AtomicFileWriter, writeFileAtomic } from '../../util/fs';
import { Rng } from '../../util/rng';
import { makeVocabulary, searchCumulative, ZipfSampler } from './synth-words';

export interface SynthShape {
  trainDocs: number;
  testDocs: number;
  labels: number;
  /** Mean labels per document (train and test alike). */
  labelsPerDoc: number;
  /** Vocabulary size; 0 = from the label count (labels / 3, within 5,000..128,000). */
  vocab: number;
}

/**
 * The paper's datasets (Extreme Classification Repository statistics). LF-AmazonTitles-131K has
 * 2.29 labels per training document and 5.15 training documents per label; -1.3M 22.20 and
 * 38.24. The vocabularies are the sizes of the repository's bag-of-words features.
 */
export const SYNTH_SHAPES: Record<string, SynthShape> = {
  'lf-amazontitles-131k': { trainDocs: 294_805, testDocs: 134_835, labels: 131_073, labelsPerDoc: 2.29, vocab: 40_000 },
  'lf-amazontitles-1.3m': { trainDocs: 2_248_619, testDocs: 970_237, labels: 1_305_265, labelsPerDoc: 22.2, vocab: 128_000 },
};

/** The generator's fixed constants (recorded in synth.json, so a reader knows what made a set). */
export const SYNTH_MODEL = {
  labelsPerTopic: 64, topicWords: 150, wordZipf: 1.0, popularityAlpha: 1.3, popularityTail: 1e-4, titleWords: [2, 5], docWords: [4, 12],
  fromLabels: 0.25, fromTopic: 0.35, secondaryTopic: 0.25, selfLabel: 0.08,
} as const;

export const SYNTH_FILE = 'synth.json';
export const SYNTH_VERSION = 1;

export interface SynthInfo {
  format: 'ngame-synth';
  version: number;
  seed: number;
  shape: string | null;
  params: SynthShape;
  model: typeof SYNTH_MODEL;
  /** Positives and filter pairs written. */
  counts: { trainPositives: number; testPositives: number; filterTrain: number; filterTest: number };
}

/** Checks a shape; errors name the field (the CLI names its flags with them). */
export function checkShape(s: SynthShape): SynthShape {
  const int = (v: number, k: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${k} must be an integer >= ${min}, got ${v}`);
  };
  int(s.trainDocs, 'train-docs', 1);
  int(s.testDocs, 'test-docs', 1);
  int(s.labels, 'labels', 2);
  int(s.vocab, 'vocab', 0);
  if (s.vocab > 0 && s.vocab < 1000) throw new Error(`vocab must be 0 (automatic) or at least 1000, got ${s.vocab}`);
  if (!(s.labelsPerDoc >= 1 && s.labelsPerDoc <= Math.min(200, s.labels / 2))) {
    throw new Error(`labels-per-doc must be a number in [1, ${Math.min(200, s.labels / 2)}] (at most half the labels), got ${s.labelsPerDoc}`);
  }
  if (s.labels > 2 ** 28 || s.trainDocs + s.testDocs > 2 ** 31 - 1) throw new Error(`labels (${s.labels}) or documents (${s.trainDocs + s.testDocs}): too many for 32-bit ids`);
  return s;
}

export function vocabSizeOf(s: SynthShape): number {
  return s.vocab > 0 ? s.vocab : Math.min(128_000, Math.max(5_000, Math.round(s.labels / 3)));
}

/** The planted structure: vocabulary, topics, labels (with titles) and their popularity. */
interface Model {
  words: string[];
  background: ZipfSampler;
  topicZipf: ZipfSampler;
  /** (T × topicWords) word ids of each topic, in the topic's own frequency order. */
  topicWords: Int32Array;
  T: number;
  /** Labels grouped by topic: topic t holds byTopic[topicStart[t] .. topicStart[t + 1]). */
  topicStart: Int32Array;
  byTopic: Int32Array;
  /** Running sums of popularity along byTopic (a topic's draw is a search in its range). */
  cum: Float64Array;
  /** Running sums of topic popularity (topic t's total is cum at its last label). */
  topicCum: Float64Array;
  labelTopic: Int32Array;
  /** Label l's title words: titleWords[titleStart[l] .. titleStart[l + 1]). */
  titleStart: Int32Array;
  titleWords: Int32Array;
}

function buildModel(s: SynthShape, rng: Rng): Model {
  const M = SYNTH_MODEL;
  const V = vocabSizeOf(s);
  const words = makeVocabulary(V, rng.nextU32());
  const L = s.labels;
  const T = Math.max(1, Math.round(L / M.labelsPerTopic));
  const W = Math.min(M.topicWords, V);
  // Topic words: any word but the 100 most frequent background words (no topic owns "the").
  const head = Math.min(100, V - W);
  const topicWords = new Int32Array(T * W);
  for (let t = 0; t < T; t++) {
    const seen = new Set<number>();
    for (let j = 0; j < W; j++) {
      let w: number;
      do w = head + rng.int(V - head);
      while (seen.has(w));
      seen.add(w);
      topicWords[t * W + j] = w;
    }
  }
  const topicZipf = new ZipfSampler(W, M.wordZipf);
  // Labels: topic, popularity, title.
  const labelTopic = new Int32Array(L);
  const pop = new Float64Array(L);
  const titleStart = new Int32Array(L + 1);
  const title: number[] = [];
  for (let l = 0; l < L; l++) {
    const t = rng.int(T);
    labelTopic[l] = t;
    // Pareto(α) popularity ≥ 1, its top 10⁻⁴ quantile cut off: with 5 documents per label
    // on average (the 131K shape) about 12% of labels get none and 70% get 1 to 5.
    pop[l] = (1 - rng.next() * (1 - M.popularityTail)) ** (-1 / M.popularityAlpha);
    const n = M.titleWords[0] + rng.int(M.titleWords[1] - M.titleWords[0] + 1);
    const start = title.length;
    for (let j = 0; j < n; j++) {
      let w = topicWords[t * W + topicZipf.sample(rng)];
      for (let k = 0; k < 5 && title.includes(w, start); k++) w = topicWords[t * W + topicZipf.sample(rng)]; // titles rarely repeat a word
      if (!title.includes(w, start)) title.push(w);
    }
    title.splice(start + rng.int(n + 1), 0, head + rng.int(V - head)); // the label's own word
    titleStart[l + 1] = title.length;
  }
  // Group by topic (counting sort keeps label order within a topic).
  const topicStart = new Int32Array(T + 1);
  for (let l = 0; l < L; l++) topicStart[labelTopic[l] + 1]++;
  for (let t = 0; t < T; t++) topicStart[t + 1] += topicStart[t];
  const fill = topicStart.slice(0, T);
  const byTopic = new Int32Array(L);
  for (let l = 0; l < L; l++) byTopic[fill[labelTopic[l]]++] = l;
  const cum = new Float64Array(L);
  let acc = 0;
  for (let i = 0; i < L; i++) cum[i] = acc += pop[byTopic[i]];
  const topicCum = new Float64Array(T);
  for (let t = 0; t < T; t++) topicCum[t] = topicStart[t + 1] > 0 ? cum[topicStart[t + 1] - 1] : t > 0 ? topicCum[t - 1] : 0;
  return { words, background: new ZipfSampler(V, M.wordZipf), topicZipf, topicWords, T, topicStart, byTopic, cum, topicCum, labelTopic, titleStart, titleWords: Int32Array.from(title) };
}

/** A topic drawn by its labels' total popularity (an empty topic has none and is never drawn). */
function drawTopic(m: Model, rng: Rng): number {
  return searchCumulative(m.topicCum, 0, m.T, rng.next() * m.topicCum[m.T - 1]);
}

/** A label of topic t drawn by popularity. */
function drawLabel(m: Model, t: number, rng: Rng): number {
  const lo = m.topicStart[t];
  const hi = m.topicStart[t + 1];
  const base = lo > 0 ? m.cum[lo - 1] : 0;
  return m.byTopic[searchCumulative(m.cum, lo, hi, base + rng.next() * (m.cum[hi - 1] - base))];
}

interface Doc {
  text: string;
  labels: number[];
  /** The label this document is the object of (a filter pair), or -1. */
  self: number;
}

/** One document: its labels (sorted), its title and maybe its filter label. */
function drawDocument(m: Model, s: SynthShape, rng: Rng): Doc {
  const M = SYNTH_MODEL;
  const primary = drawTopic(m, rng);
  const secondary = drawTopic(m, rng);
  // 1 + geometric extra labels, mean labelsPerDoc; duplicates are redrawn a few times, then dropped.
  const extra = s.labelsPerDoc > 1 ? Math.floor(Math.log(1 - rng.next()) / Math.log(1 - 1 / s.labelsPerDoc)) : 0;
  const want = Math.min(1 + extra, 4 * Math.ceil(s.labelsPerDoc), s.labels);
  const labels: number[] = [];
  for (let tries = 0; labels.length < want && tries < 3 * want; tries++) {
    const l = drawLabel(m, rng.next() < M.secondaryTopic ? secondary : primary, rng);
    if (!labels.includes(l)) labels.push(l);
  }
  labels.sort((a, b) => a - b);
  const words: number[] = [];
  let self = -1;
  if (rng.next() < M.selfLabel) {
    const l = drawLabel(m, primary, rng);
    if (!labels.includes(l)) {
      self = l;
      for (let a = m.titleStart[l]; a < m.titleStart[l + 1]; a++) words.push(m.titleWords[a]);
    }
  }
  const n = words.length + M.docWords[0] + rng.int(M.docWords[1] - M.docWords[0] + 1);
  const W = M.topicWords;
  let repeats = 0;
  while (words.length < n) {
    const u = rng.next();
    let w: number;
    if (u < M.fromLabels) {
      const l = labels[rng.int(labels.length)];
      const a = m.titleStart[l];
      w = m.titleWords[a + rng.int(m.titleStart[l + 1] - a)];
    } else if (u < M.fromLabels + M.fromTopic) {
      w = m.topicWords[primary * W + m.topicZipf.sample(rng)];
    } else {
      w = m.background.sample(rng);
    }
    // Words go in at random places, so a copied label title is not one contiguous run; a word
    // already there is dropped (titles rarely repeat one), which may leave the title shorter.
    if (!words.includes(w)) words.splice(rng.int(words.length + 1), 0, w);
    else if (++repeats > 2 * n) break;
  }
  return { text: words.map((w) => m.words[w]).join(' '), labels, self };
}

/** Writes one split's texts, label matrix and filter pairs; returns its positive and filter counts. */
function writeSplit(m: Model, s: SynthShape, rows: number, rng: Rng, files: { X: AtomicFileWriter; Y: AtomicFileWriter; F: AtomicFileWriter }, onRow?: (done: number) => void): { positives: number; filters: number } {
  files.Y.write(`${rows} ${s.labels}\n`);
  let positives = 0;
  let filters = 0;
  for (let d = 0; d < rows; d++) {
    const doc = drawDocument(m, s, rng);
    files.X.write(doc.text + '\n');
    let line = '';
    for (let j = 0; j < doc.labels.length; j++) line += (j ? ' ' : '') + doc.labels[j] + ':1.0';
    files.Y.write(line + '\n');
    positives += doc.labels.length;
    if (doc.self >= 0) {
      files.F.write(`${d} ${doc.self}\n`);
      filters++;
    }
    if (onRow && (d + 1) % 65536 === 0) onRow(d + 1);
  }
  return { positives, filters };
}

/**
 * Generates the dataset of `shape` with `seed` into `dir` (created if needed) and returns what
 * synth.json records (and the seconds it took). Deterministic: the same shape and seed give the same bytes. Files appear
 * only once all are written; synth.json last.
 */
export function writeSynthDataset(dir: string, shape: SynthShape, seed: number, opts: { shapeName?: string; onProgress?: (what: string, done: number, total: number) => void } = {}): SynthInfo & { seconds: number } {
  const s = checkShape(shape);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  const t0 = performance.now();
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const root = new Rng(seed);
  const model = buildModel(s, root.fork());
  const trainRng = root.fork();
  const testRng = root.fork();
  const names = ['Y.txt', 'trn_X.txt', 'trn_X_Y.txt', 'filter_labels_train.txt', 'tst_X.txt', 'tst_X_Y.txt', 'filter_labels_test.txt'];
  const w = Object.fromEntries(names.map((n) => [n, new AtomicFileWriter(join(dir, n))])) as Record<string, AtomicFileWriter>;
  try {
    for (let l = 0; l < s.labels; l++) {
      let t = '';
      for (let a = model.titleStart[l]; a < model.titleStart[l + 1]; a++) t += (a > model.titleStart[l] ? ' ' : '') + model.words[model.titleWords[a]];
      w['Y.txt'].write(t + '\n');
    }
    const progress = (what: string, total: number) => (done: number) => opts.onProgress?.(what, done, total);
    const trn = writeSplit(model, s, s.trainDocs, trainRng, { X: w['trn_X.txt'], Y: w['trn_X_Y.txt'], F: w['filter_labels_train.txt'] }, progress('train documents', s.trainDocs));
    const tst = writeSplit(model, s, s.testDocs, testRng, { X: w['tst_X.txt'], Y: w['tst_X_Y.txt'], F: w['filter_labels_test.txt'] }, progress('test documents', s.testDocs));
    for (const n of names) w[n].commit();
    const info: SynthInfo = {
      format: 'ngame-synth', version: SYNTH_VERSION, seed, shape: opts.shapeName ?? null, params: s, model: SYNTH_MODEL,
      counts: { trainPositives: trn.positives, testPositives: tst.positives, filterTrain: trn.filters, filterTest: tst.filters },
    };
    writeFileAtomic(join(dir, SYNTH_FILE), JSON.stringify(info, null, 2) + '\n');
    return { ...info, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    for (const n of names) w[n].abort();
    throw e;
  }
}
