import * as T from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import { closeGpu } from '../src/tensor/webgpu/device';
import { Encoder } from '../src/model/encoder';
import { AdamW } from '../src/model/optim';
import { Tokenizer } from '../src/model/tokenizer';
import { loadDataset } from '../src/ngame/data';
import { tokenizeCorpus, corpusBatch } from '../src/ngame/corpus';
import { randomBatches, samplePositives, targetMatrix, trainableDocuments } from '../src/ngame/batching';
import { tripletOHNM, infoNCE } from '../src/ngame/losses';
import { Rng } from '../src/util/rng';
const which = process.argv[2]; const lossName = process.argv[3];
const data = await loadDataset();
const tok = Tokenizer.learn([...data.trainTexts, ...data.labelTexts], 4000);
const tr = tokenizeCorpus(tok, data.trainTexts, 32), lb = tokenizeCorpus(tok, data.labelTexts, 32);
const be = which === 'gpu' ? await WebGpuBackend.create() : new T.CpuBackend();
const enc = new Encoder({ vocabSize: tok.vocabSize, dim: 64, layers: 1, heads: 2, ffn: 128, maxLen: 32, layout: (process.env.LAYOUT ?? 'pre') as 'pre' }, { backend: be });
const opt = new AdamW(enc.params, { lr: 2e-3 });
const rng = new Rng(0);
const batches = randomBatches(trainableDocuments(data.trainY).docs, 64, rng);
for (let s = 0; s < +(process.argv[4] ?? 25); s++) {
  const docs = batches[s]; const labels = samplePositives(data.trainY, docs, rng);
  const db = corpusBatch(tr, docs), lbb = corpusBatch(lb, labels);
  const { loss, S } = T.scope(() => {
    const d = enc.forward(db.ids, db.mask, db.B, db.T, { training: true, rng });
    const l = enc.forward(lbb.ids, lbb.mask, lbb.B, lbb.T, { training: true, rng });
    const S = T.matmul(d, l, { transB: true });
    const tg = T.tensor(targetMatrix(data.trainY, docs, labels), [64, 64], { backend: be });
    const loss = lossName === 'nce' ? infoNCE(S, tg) : tripletOHNM(S, tg);
    T.backward(loss); return { loss, S: T.detach(S) };
  });
  const info = await opt.step({ loss, rows: { 'embed.tokens': Int32Array.from(new Set([...db.ids, ...lbb.ids])) } });
  const sv = await S.data(); let m = 0, m2 = 0, diag = 0; for (let i = 0; i < sv.length; i++) { m += sv[i]; m2 += sv[i] ** 2; } for (let i = 0; i < 64; i++) diag += sv[i * 65];
  m /= sv.length; console.log(s, 'loss', info.loss?.toFixed(4), 'S mean', m.toFixed(3), 'std', Math.sqrt(m2 / sv.length - m * m).toFixed(4), 'diag', (diag / 64).toFixed(3), 'gn', info.gradNorm?.toFixed(4));
  S.release(); loss.release(); opt.zeroGrad();
}
await closeGpu();
