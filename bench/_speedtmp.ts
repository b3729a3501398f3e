import * as T from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import { Encoder } from '../src/model/encoder';
import { AdamW } from '../src/model/optim';
import { Rng } from '../src/util/rng';
import { tripletOHNM } from '../src/ngame/losses';
import { closeGpu } from '../src/tensor/webgpu/device';
const which = process.argv[2];
const dim = +process.argv[3] || 128, layers = +process.argv[4] || 2;
const be = which === 'gpu' ? await WebGpuBackend.create() : new T.CpuBackend();
const enc = new Encoder({ vocabSize: 8000, dim, layers, heads: 4, ffn: dim * 4, maxLen: 32 }, { backend: be, seed: 1 });
const opt = new AdamW(enc.params, { lr: 1e-3 });
const rng = new Rng(1);
const B = 64, Tn = 24;
const ids = Int32Array.from({ length: B * Tn }, () => rng.int(8000));
const mask = new Uint8Array(B * Tn).fill(1);
const tg = new Float32Array(B * B); for (let i = 0; i < B; i++) tg[i * B + i] = 1;
for (let it = 0; it < 4; it++) {
  const t0 = performance.now();
  const loss = T.scope(() => {
    const d = enc.forward(ids, mask, B, Tn, { training: true, rng });
    const l = enc.forward(ids, mask, B, Tn, { training: true, rng });
    const loss = tripletOHNM(T.matmul(d, l, { transB: true }), T.tensor(tg, [B, B], { backend: be }));
    T.backward(loss); return loss;
  });
  const info = await opt.step({ loss });
  loss.release(); opt.zeroGrad();
  console.log(which, dim, layers, 'step ms', (performance.now() - t0).toFixed(0), info.loss);
  if (which === "gpu") { const c = (be as any).rt.counters; console.log(JSON.stringify(c)); }
}
if (which === 'gpu') {
  const rt = (be as any).rt; rt.profile = new Map();
  const t0 = performance.now();
  const loss = T.scope(() => {
    const d = enc.forward(ids, mask, B, Tn, { training: true, rng });
    const l = enc.forward(ids, mask, B, Tn, { training: true, rng });
    const loss = tripletOHNM(T.matmul(d, l, { transB: true }), T.tensor(tg, [B, B], { backend: be }));
    T.backward(loss); return loss;
  });
  await opt.step({ loss }); loss.release(); opt.zeroGrad();
  console.log('profiled step', performance.now() - t0);
  const rows = [...rt.profile.entries()].sort((a: any, b: any) => b[1].ms - a[1].ms).slice(0, 15);
  for (const [k, v] of rows) console.log(k.padEnd(40), v.count, v.ms.toFixed(1));
}
await closeGpu();
