// `npm run bench -- memory [--budget MiB] [--batches 16,32,64] [--json]`
// NGAME's memory argument: peak device bytes of one M1 training step per sampler at the same
// batch size, and the largest batch each sampler fits into a memory budget. In-batch samplers
// (random, ngame) encode B documents + B labels per step; ANCE and the MIPS samplers also
// encode their mined (and uniform) negatives, so their steps are larger at the same B.
// Reported: the step's working memory (peak minus what was live before it). It grows linearly in the batch size; the fit over the measured sizes gives the largest B.
import { Encoder } from '../src/model/encoder';
import { Tokenizer } from '../src/model/tokenizer';
import { loadDataset } from '../src/ngame/data';
import { tokenizeCorpus } from '../src/ngame/corpus';
import { makeSampler, SAMPLER_NAMES } from '../src/ngame/samplers';
import { M1Trainer } from '../src/ngame/train-m1';
import { DEFAULT_RUN, m1Config } from '../src/ngame/run-config';
import { openBackend } from '../src/ngame/run';
import { closeGpu } from '../src/kernels/webgpu/device';
import { Rng } from '../src/util/rng';

export default async function (args: string[]): Promise<void> {
  const arg = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const json = args.includes('--json');
  const budget = Number(arg('budget', '256')) * 2 ** 20;
  const sizes = arg('batches', '16,32,64').split(',').map(Number);
  const backend = await openBackend('auto');
  const data = await loadDataset();
  const tok = Tokenizer.learn([...data.trainTexts, ...data.labelTexts], 4000);
  const ctxBase = {
    data, backend,
    train: tokenizeCorpus(tok, data.trainTexts, 32), labels: tokenizeCorpus(tok, data.labelTexts, 32), test: tokenizeCorpus(tok, data.testTexts, 32),
  };
  if (!json) console.log(`device: ${backend.deviceName}; budget ${(budget / 2 ** 20).toFixed(0)} MiB\nsampler (step MiB) ${sizes.map((b) => `B=${b} MiB`.padStart(11)).join(' ')}  labels/step at B=${sizes.at(-1)}  largest B in budget`);
  for (const name of SAMPLER_NAMES) {
    const peaks: number[] = [];
    let pool = 0;
    for (const B of sizes) {
      const encoder = new Encoder({ vocabSize: tok.vocabSize, dim: 64, layers: 1, heads: 2, ffn: 128, maxLen: 32 }, { backend, seed: 0 });
      // Epoch 1 with a curriculum that clusters from epoch 1: every sampler is in its steady state.
      const sampler = makeSampler(name, { warmupEpochs: 1, startSize: 8, doubleAt: [], maxSize: 8, reclusterEvery: 1 });
      // The run's M1 settings; loss 'auto' (each sampler's own: BCE for the MIPS and meta samplers), as this bench ran before.
      const tr = new M1Trainer({ ...ctxBase, encoder }, sampler, { ...m1Config(DEFAULT_RUN), loss: 'auto', batchSize: B, hardnessDocs: 0, evalEvery: 0 });
      // Fill the memory bank (distinct random unit rows) so mined samplers find different
      // negatives for different documents, as they do once training has filled it.
      const rng = new Rng(B);
      const bank = Float32Array.from({ length: tr.bank.n * tr.bank.dim }, () => rng.normal() / Math.sqrt(tr.bank.dim));
      tr.bank.update(Int32Array.from({ length: tr.bank.n }, (_, i) => i), bank);
      tr.epoch = 1;
      const ep = await sampler.epoch(1, tr.env, tr.rng);
      const plan = await sampler.plan(ep.batches[0], tr.env, tr.rng);
      backend.flush();
      backend.resetPeak();
      // What the step itself adds on top of what is already live (weights, optimizer moments,
      // and anything earlier runs of this loop left behind).
      const before = backend.memory().liveBytes;
      await tr.step(plan);
      peaks.push(backend.memory().peakBytes - before);
      pool = plan.labels.length;
      encoder.dispose();
    }
    // Least-squares line peak = a + b·B; largest B with a + b·B <= budget.
    const n = sizes.length;
    const mx = sizes.reduce((s, x) => s + x, 0) / n;
    const my = peaks.reduce((s, y) => s + y, 0) / n;
    const b = sizes.reduce((s, x, i) => s + (x - mx) * (peaks[i] - my), 0) / Math.max(1e-9, sizes.reduce((s, x) => s + (x - mx) ** 2, 0));
    const a = my - b * mx;
    const maxB = b > 0 ? Math.floor((budget - a) / b) : Infinity;
    if (json) console.log(JSON.stringify({ sampler: name, batches: sizes, peakBytes: peaks, labelsPerStep: pool, budgetBytes: budget, largestBatch: maxB }));
    else console.log(`${name.padEnd(14)} ${peaks.map((p) => (p / 2 ** 20).toFixed(1).padStart(11)).join(' ')}  ${String(pool).padStart(18)}  ${String(maxB).padStart(19)}`);
  }
  await closeGpu();
}
