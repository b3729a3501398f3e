// A tiny text dataset (8 topics, 16 labels, 48 training documents) and an M1 trainer on it
// (cpu backend, 1-layer 16-wide encoder): fast enough for end-to-end trainer tests.
import * as T from '../../src/tensor';
import { csrFromRows } from '../../src/ngame/data';
import type { Dataset } from '../../src/ngame/data';
import type { Sampler } from '../../src/ngame/samplers';
import { tokenizeCorpus } from '../../src/ngame/corpus';
import { M1Trainer, type M1Config } from '../../src/ngame/train-m1';
import { DEFAULT_RUN, m1Config } from '../../src/ngame/run-config';
import { Encoder } from '../../src/model/encoder';
import { Tokenizer } from '../../src/model/tokenizer';
import { Rng } from '../../src/util/rng';

export function tinyDataset(): Dataset {
  const rng = new Rng(5);
  const topics = ['compiler parser grammar', 'network packet router', 'memory cache page', 'disk file block', 'thread lock mutex', 'shell script command', 'graphics pixel shader', 'database query index'];
  const labelTexts = topics.flatMap((t) => { const w = t.split(' '); return [`${w[0]} ${w[1]}`, `${w[1]} ${w[2]}`]; });
  const docs = (n: number) => Array.from({ length: n }, (_, i) => {
    const t = i % topics.length;
    const w = topics[t].split(' ');
    return { text: `a ${w[rng.int(3)]} and ${w[rng.int(3)]} item ${i}`, labels: [...new Set([2 * t, 2 * t + 1 - rng.int(2)])].sort((a, b) => a - b) };
  });
  const trn = docs(48);
  const tst = docs(8);
  const none = { row: new Int32Array(0), col: new Int32Array(0) };
  return {
    name: 'tiny', dir: '', text: 'short', labelTexts, trainTexts: trn.map((d) => d.text), testTexts: tst.map((d) => d.text),
    trainY: csrFromRows(labelTexts.length, trn.map((d) => d.labels)), testY: csrFromRows(labelTexts.length, tst.map((d) => d.labels)),
    filterTrain: none, filterTest: none,
  };
}

/**
 * An M1 trainer with the sampler on the tiny dataset; with `from`, resumed from its state (same
 * encoder). The run's M1 settings (m1Config), shortened, with loss 'auto' (each sampler's own).
 */
export function tinyTrainer(sampler: Sampler, over: Partial<M1Config> = {}, from?: M1Trainer): M1Trainer {
  const cfg: M1Config = { ...m1Config(DEFAULT_RUN), loss: 'auto', epochs: 2, batchSize: 8, lr: 5e-3, warmupSteps: 2, evalEvery: 0, hardnessDocs: 0, seed: 3, ...over };
  if (from) {
    return new M1Trainer(from.ctx, sampler, cfg, { epoch: from.epoch, step: from.env.step, opt: from.opt, rng: from.rng, bank: from.bank.data.slice() });
  }
  const data = tinyDataset();
  const tok = Tokenizer.learn([...data.trainTexts, ...data.labelTexts], 120);
  const backend = new T.CpuBackend();
  const encoder = new Encoder({ vocabSize: tok.vocabSize, maxLen: 12, dim: 16, layers: 1, heads: 2, ffn: 32, dropout: 0.1 }, { backend, seed: 1 });
  const corpus = (texts: string[]) => tokenizeCorpus(tok, texts, 12);
  return new M1Trainer({ data, encoder, backend, train: corpus(data.trainTexts), labels: corpus(data.labelTexts), test: corpus(data.testTexts) }, sampler, cfg);
}
