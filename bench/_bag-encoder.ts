// Helper of bench/encoder.ts (`--encoder bag`): the bag encoder's M1 training step, timed on the
// webgpu and cpu backends and (--tfjs) beside the same step in tfjs (bench/_tfjs-bag.ts).
//
// The step and its timing are src/ngame/doctor/bag-step.ts's (which `ngame doctor` uses too): the
// real M1Trainer.step with in-batch InfoNCE on the embedded FOLDOC data. Every backend runs the
// same batch plans in the same order: `warmup` untimed steps, then the timed ones. On webgpu the
// runtime counts dispatches, submits and readbacks per step; more than one readback per step
// fails the bench (exit code 1) after the table is printed.
import { CpuBackend, type Backend } from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import { loadDataset } from '../src/ngame/data';
import type { BagCorpus } from '../src/ngame/corpus';
import { BAG_STEP_DROPOUT as DROPOUT, BAG_STEP_M1 as M1, prepareBagSteps, timeBagSteps, type BagStepData as BagData } from '../src/ngame/doctor/bag-step';
import { timeTfjsBag, type BagStepShape } from './_tfjs-bag';
import type { StepTiming as Timing, TfjsTiming } from './_tfjs-encoder';

export interface BagOptions {
  dim: number;
  batch: number;
  warmup: number;
  steps: number;
  cpuSteps: number;
  /** 0: tfjs not run. */
  tfjsSteps: number;
  json: boolean;
}

export const BAG_DEFAULTS = { dim: 256, batch: 256, warmup: 2, steps: 10, cpuSteps: 10, tfjsSteps: 10 };

function totalSteps(o: BagOptions): number {
  return o.warmup + Math.max(o.steps, o.cpuSteps, o.tfjsSteps);
}

function timeOurs(backend: Backend, d: BagData, o: BagOptions, steps: number): Promise<Timing> {
  return timeBagSteps(backend, d, { dim: o.dim, batch: o.batch, warmup: o.warmup, steps, scheduleSteps: totalSteps(o) });
}

export async function bagMain(o: BagOptions): Promise<void> {
  const d = prepareBagSteps(await loadDataset(), o.batch);
  const out = (x: Record<string, unknown>) => console.log(JSON.stringify(x));
  const rows: Timing[] = [];
  const g = o.steps > 0 ? await timeOurs(await WebGpuBackend.create(), d, o, o.steps) : null;
  if (g) rows.push(g);
  let tf: TfjsTiming | { backend: string; error: string } | null = null;
  if (o.tfjsSteps > 0) {
    const shape: BagStepShape = {
      vocabSize: d.vocabSize, dim: o.dim, dropout: DROPOUT, tau: M1.infoNCETau!, lr: M1.lr!, warmupSteps: M1.warmupSteps!,
      totalSteps: Math.ceil(totalSteps(o) / d.plans.length) * d.plans.length, weightDecay: M1.weightDecay!, clipNorm: M1.clipNorm!,
    };
    try {
      tf = await timeTfjsBag(shape, d.train, d.labels, d.plans, o.warmup, o.tfjsSteps);
      rows.push(tf);
    } catch (e) {
      tf = { backend: 'tfjs-webgpu', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }
  if (o.cpuSteps > 0) rows.push(await timeOurs(new CpuBackend(), d, o, o.cpuSteps));
  const tfOk = tf && 'stepsPerSec' in tf ? tf : null;
  const ratio = g && tfOk ? g.stepsPerSec / tfOk.stepsPerSec : null;
  const shape = { dataset: d.data.name, vocab: d.vocabSize, dim: o.dim, documents: o.batch, labels: o.batch, tau: M1.infoNCETau, warmup: o.warmup };

  if (o.json) {
    for (const r of rows) out({ bench: 'bag-encoder-step', ...r, ...shape });
    if (tf && !tfOk) out({ bench: 'bag-encoder-step', ...tf });
    if (ratio !== null) out({ bench: 'bag-encoder-step-ratio', webgpuOverTfjsWebgpu: ratio, webgpuStepsPerSec: g!.stepsPerSec, tfjsStepsPerSec: tfOk!.stepsPerSec });
  } else {
    const terms = (c: BagCorpus) => (c.rows.indptr[c.n] / c.n).toFixed(1);
    console.log(
      `bag encoder M1 step: ${d.data.name}, TF-IDF vocab ${d.vocabSize} (${terms(d.train)} terms/document, ${terms(d.labels)}/label), dim ${o.dim}, ` +
        `${o.batch} documents + ${o.batch} sampled positives, InfoNCE τ ${M1.infoNCETau}, dropout ${DROPOUT}, AdamW lr ${M1.lr} (warm-up ${M1.warmupSteps}), ` +
        `${o.warmup} untimed steps per backend`,
    );
    console.log('backend      steps  steps/s   ms/step   peak MiB  dispatches  submits  readbacks     loss  device');
    const cell = (x: number | undefined, w: number) => (x === undefined ? '-' : String(Math.round(x * 10) / 10)).padStart(w);
    for (const r of rows) {
      const n = r.backend === 'cpu' ? o.cpuSteps : r.backend === 'tfjs-webgpu' ? o.tfjsSteps : o.steps;
      console.log(
        `${r.backend.padEnd(12)} ${String(n).padStart(5)} ${r.stepsPerSec.toFixed(3).padStart(8)} ${r.msPerStep.toFixed(1).padStart(9)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)}` +
          `  ${cell(r.dispatches, 10)} ${cell(r.submits, 8)} ${cell(r.readbacks, 10)} ${r.loss.toFixed(4).padStart(8)}  ${r.device}`,
      );
    }
    if (tf && !tfOk) console.log(`${'tfjs-webgpu'.padEnd(12)} error: ${(tf as { error: string }).error}`);
    if (ratio !== null) console.log(`webgpu ÷ tfjs-webgpu (steps/s, this run): ${ratio.toFixed(2)}×`);
    else if (!tf) console.log('(tfjs-webgpu not run: add --tfjs)');
    if (g) console.log(`webgpu readbacks per step: ${g.readbacks} (must be ≤ 1)`);
  }
  if (g && !(g.readbacks! <= 1)) {
    console.error(`FAIL: the bag encoder's M1 step read back from the device ${g.readbacks} times per step on webgpu (at most 1 allowed)`);
    process.exitCode = 1;
  }
}
