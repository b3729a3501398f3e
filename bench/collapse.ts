// `npm run bench -- collapse [--steps N] [--device cpu|webgpu] [--layout pre|post]`
// Why M1 defaults to InfoNCE when training from scratch: the same encoder, data and batches
// trained with NGAME's triplet loss and with InfoNCE; prints, per step, the loss and the mean
// and spread of the in-batch cosine matrix. With the triplet loss the mean cosine goes to ~1
// (every text embedded in one direction) within a few steps.
import * as T from '../src/tensor';
import { Encoder } from '../src/model/encoder';
import { AdamW } from '../src/model/optim';
import { Tokenizer } from '../src/model/tokenizer';
import { loadDataset } from '../src/ngame/data';
import { corpusBatch, tokenizeCorpus } from '../src/ngame/corpus';
import { randomBatches, samplePositives, targetMatrix, trainableDocuments } from '../src/ngame/batching';
import { infoNCE, tripletOHNM } from '../src/ngame/losses';
import { openBackend } from '../src/ngame/run';
import { closeGpu } from '../src/kernels/webgpu/device';
import { Rng } from '../src/util/rng';

export default async function (args: string[]): Promise<void> {
  const arg = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const steps = Number(arg('steps', '10'));
  const json = args.includes('--json');
  const backend = await openBackend(arg('device', 'auto') as 'auto');
  const data = await loadDataset();
  const tok = Tokenizer.learn([...data.trainTexts, ...data.labelTexts], 4000);
  const tr = tokenizeCorpus(tok, data.trainTexts, 32);
  const lb = tokenizeCorpus(tok, data.labelTexts, 32);
  if (!json) console.log(`device: ${backend.deviceName}\nloss      step  loss     cos mean  cos std`);
  for (const lossName of ['triplet', 'infonce']) {
    const enc = new Encoder({ vocabSize: tok.vocabSize, dim: 64, layers: 1, heads: 2, ffn: 128, maxLen: 32, layout: arg('layout', 'pre') as 'pre' }, { backend, seed: 0 });
    const opt = new AdamW(enc.params, { lr: 2e-3 });
    const rng = new Rng(0);
    const batches = randomBatches(trainableDocuments(data.trainY).docs, 64, rng);
    for (let s = 0; s < steps; s++) {
      const docs = batches[s];
      const labels = samplePositives(data.trainY, docs, rng);
      const db = corpusBatch(tr, docs);
      const lbb = corpusBatch(lb, labels);
      const { loss, S } = T.scope(() => {
        const d = enc.encode(db, { training: true, rng });
        const l = enc.encode(lbb, { training: true, rng });
        const S = T.matmul(d, l, { transB: true });
        const tg = T.tensor(targetMatrix(data.trainY, docs, labels), [docs.length, labels.length], { backend });
        const loss = lossName === 'infonce' ? infoNCE(S, tg) : tripletOHNM(S, tg);
        T.backward(loss);
        return { loss, S: T.detach(S) };
      });
      const info = await opt.step({ loss, rows: { 'embed.tokens': Int32Array.from(new Set([...(db as { ids: Int32Array }).ids, ...(lbb as { ids: Int32Array }).ids])) } });
      const sv = await S.data();
      let m = 0, m2 = 0;
      for (const v of sv) { m += v; m2 += v * v; }
      m /= sv.length;
      const std = Math.sqrt(Math.max(0, m2 / sv.length - m * m));
      if (json) console.log(JSON.stringify({ loss: lossName, step: s, value: info.loss, cosMean: m, cosStd: std }));
      else console.log(`${lossName.padEnd(9)} ${String(s).padStart(4)}  ${info.loss!.toFixed(4)}   ${m.toFixed(3)}     ${std.toFixed(4)}`);
      S.release();
      loss.release();
      opt.zeroGrad();
    }
    enc.dispose();
  }
  await closeGpu();
}
