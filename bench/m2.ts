// `npm run bench -- m2 --data DIR [--steps N] [--json]`
// Where an M2 epoch's time goes, with the run's defaults (pool softmax over each batch's label
// pool plus every document's M1 shortlist): M2 trains on the embeddings of an untrained bag
// encoder (a random projection of TF-IDF, docs/encoders.md), so the pools overlap as in a run.
// Prints the wall time per step, the mean pool size, and one steady step's dispatches replayed
// one by one (each waited for) and grouped by kernel, beside the host time of the step.
import type { WebGpuBackend } from '../src/tensor/webgpu/backend';
import type { Dispatch, Kernel } from '../src/kernels/webgpu/runtime';
import { closeGpu } from '../src/kernels/webgpu/device';
import { loadDataset } from '../src/ngame/data';
import { DEFAULT_RUN, m2Config } from '../src/ngame/run-config';
import { freshModel, makeCorpora } from '../src/ngame/model-setup';
import { embedCorpus } from '../src/ngame/embed';
import { M2Trainer } from '../src/ngame/train-m2';
import { openBackend } from '../src/ngame/run';
import { dispatchKey, replayTimed } from './_replay';


export default async function (args: string[]): Promise<void> {
  const arg = (name: string, def?: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const json = args.includes('--json');
  const dir = arg('data');
  if (!dir) throw new Error('m2 bench: --data DIR is required (e.g. an extracted DebianDeps-42K-cap1000)');
  const steps = Number(arg('steps', '30'));
  const backend = await openBackend('auto');
  if (backend.name !== 'webgpu') throw new Error('m2 bench: needs a WebGPU adapter');
  const rt = (backend as WebGpuBackend).rt;
  const cfg = { ...DEFAULT_RUN, data: dir };
  const data = await loadDataset(dir);
  const model = freshModel(cfg, data, backend);
  const { train, labels } = makeCorpora(model, data, null);
  const D = model.encoder.outDim;
  const docEmb = await embedCorpus(model.encoder, train);
  const labelEmb = await embedCorpus(model.encoder, labels);
  const m2cfg = cfg.m2;
  const m2 = new M2Trainer(backend, data.trainY, docEmb, labelEmb, D, { ...m2Config(cfg), epochs: 1 });

  // Phase 1: the wall time of `steps` steps. Phase 2 (the next epoch): the dispatches of its
  // 5th step, replayed at once (before the pool can drop the buffers it used).
  const stop = new Error('enough steps');
  const times: number[] = [];
  let total = 0;
  let last = performance.now();
  try {
    await m2.trainEpoch((i, n) => {
      total = n;
      const now = performance.now();
      times.push(now - last);
      last = now;
      if (i >= steps) throw stop;
    });
  } catch (e) {
    if (e !== stop) throw e;
  }
  const recorded: { k: Kernel; d: Dispatch }[] = [];
  const run = rt.run.bind(rt);
  let stepNo = 0;
  // The step's temporaries are destroyed as it goes (uploads, the pool's excess): keep the
  // recorded ones until the replay is done.
  const deferred = new Set<() => void>();
  const kept = new WeakSet<GPUBuffer>();
  rt.run = (k: Kernel, d: Dispatch) => {
    if (stepNo === 4) {
      recorded.push({ k, d: { ...d, uniforms: d.uniforms?.slice(0) } });
      for (const b of d.buffers) {
        if (kept.has(b)) continue;
        kept.add(b);
        const destroy = b.destroy.bind(b);
        let done = false;
        const later = () => { if (!done) { done = true; destroy(); } };
        b.destroy = () => void deferred.add(later);
      }
    }
    run(k, d);
  };
  try {
    await m2.trainEpoch((i) => {
      stepNo = i;
      if (i >= 5) throw stop;
    });
  } catch (e) {
    if (e !== stop) throw e;
  }
  rt.run = run;
  // Replay the recorded step one dispatch at a time, each waited for.
  const byKey = new Map<string, [number, number]>();
  let kernelMs = 0;
  for (const { rec: { k, d }, ms } of await replayTimed(rt, run, recorded)) {
    const key = dispatchKey(k, d);
    const e = byKey.get(key) ?? [0, 0];
    byKey.set(key, [e[0] + ms, e[1] + 1]);
    kernelMs += ms;
  }
  for (const f of deferred) f();
  const steady = times.slice(5);
  const stepMs = steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length);
  const top = [...byKey].sort((a, b) => b[1][0] - a[1][0]);
  if (json) {
    console.log(JSON.stringify({ device: backend.deviceName, steps: times.length, stepsPerEpoch: total, stepMs, kernelMs, dispatches: recorded.length, top: top.map(([k, [ms, n]]) => ({ kernel: k, ms, n })) }));
  } else {
    console.log(`device: ${backend.deviceName}\ndata: ${data.name}: ${data.trainY.rows} documents, ${data.trainY.cols} labels; M2 ${m2cfg.loss}, batch ${m2cfg.batchSize}, shortlist ${m2cfg.shortlist}, dim ${D}`);
    console.log(`${times.length} steps of ${total}: ${stepMs.toFixed(1)} ms per steady step (epoch ≈ ${((stepMs * total) / 1000).toFixed(1)} s); one step replayed: ${recorded.length} dispatches, ${kernelMs.toFixed(1)} ms of kernels, so ≈ ${Math.max(0, stepMs - kernelMs).toFixed(1)} ms on the host`);
    console.log('\n| kernel | ms | dispatches | share |\n|---|---|---|---|');
    for (const [k, [ms, n]] of top.slice(0, 15)) console.log(`| ${k} | ${ms.toFixed(2)} | ${n} | ${((100 * ms) / kernelMs).toFixed(1)}% |`);
  }
  m2.dispose();
  model.encoder.dispose();
  await closeGpu();
}
