// AdamW (Loshchilov & Hutter) for the encoder: decoupled weight decay except on biases and
// LayerNorm parameters, a linear warmup then linear decay learning-rate schedule, and global-norm
// gradient clipping. Tables marked sparse (token embeddings) may be updated row-sparsely
// (adam-update.ts) when the step is told which rows the batch touched. A parameter with a
// row-sparse gradient (param.sparseGrad, from T.embeddingBag) is always updated lazily on its
// rows only, at cost O(R · cols): untouched rows keep parameters and moments (no weight decay
// either); its values count in the global norm.
//
// A step reads back from the device at most once: the squared gradient norm (when clipping) and
// the loss (when given) are packed into one small tensor and read together. The update itself
// runs in place on the device (backend.adamw / backend.adamRows).

import * as T from '../tensor';
import type { Tensor } from '../tensor';
import type { Params } from './params';
import {
  adamHyper, adamRowsUpdate, adamSparseUpdate, Moments, stepGrad, unionRows,
  type AdamCoefficients, type AdamState, type OptimTarget, type StepGrad,
} from './adam-update';

export interface AdamWConfig extends AdamCoefficients {
  /** Clip the global gradient norm to this value (0: no clipping). */
  clipNorm: number;
  /** The learning rate rises linearly from lr/warmupSteps to lr over this many updates. */
  warmupSteps: number;
  /** Then falls linearly to 0 at this update count (0: constant after warmup). */
  totalSteps: number;
}

export const DEFAULT_ADAMW: AdamWConfig = {
  lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1, warmupSteps: 0, totalSteps: 0,
};

/**
 * The learning rate of update number `step` (0 for the first): linear warmup over
 * cfg.warmupSteps updates (lr·(step+1)/warmup), then linear decay to 0 at cfg.totalSteps.
 */
export function scheduledLr(step: number, cfg: Pick<AdamWConfig, 'lr' | 'warmupSteps' | 'totalSteps'>): number {
  if (step < cfg.warmupSteps) return (cfg.lr * (step + 1)) / cfg.warmupSteps;
  if (cfg.totalSteps <= 0) return cfg.lr;
  const span = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  return cfg.lr * Math.max(0, (cfg.totalSteps - step) / span);
}

/** A parameter as the optimizer sees it. */
export interface OptimParam extends OptimTarget {
  decay: boolean;
  sparse: boolean;
}

/** The optimizer's view of a registry's parameters; `prefix` keeps names of several models apart. */
export function optimParams(params: Params, prefix = ''): OptimParam[] {
  return params.names().map((name) => {
    const spec = params.spec(name);
    return { name: prefix + name, get: () => params.get(name), decay: spec.decay, sparse: spec.sparse };
  });
}

export interface StepOptions {
  /** Read back together with the gradient norm (no extra readback). */
  loss?: Tensor;
  /** Any other f32 tensor the caller needs on the host this step, read in the same readback. */
  extra?: Tensor;
  /**
   * Rows touched by this batch, per sparse parameter name: those tables get a row-sparse update
   * from their dense gradient. Not needed for a row-sparse gradient (it lists its rows); a table
   * with both gets their sum on the listed rows and the sparse gradient's rows.
   */
  rows?: Record<string, ArrayLike<number>>;
}

export interface StepInfo {
  /** Updates done, including this one. */
  step: number;
  lr: number;
  loss?: number;
  /** The values of StepOptions.extra. */
  extra?: Float32Array;
  /** Global gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  /** Factor the gradients were multiplied by (1 when not clipped). */
  gradScale: number;
}

function checkConfig(c: AdamWConfig): void {
  const nonNeg = (k: keyof AdamWConfig) => {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`AdamW: ${k} must be a finite number >= 0, got ${c[k]}`);
  };
  for (const k of ['lr', 'eps', 'weightDecay', 'clipNorm'] as const) nonNeg(k);
  for (const k of ['beta1', 'beta2'] as const) if (!(c[k] >= 0 && c[k] < 1)) throw new Error(`AdamW: ${k} must be in [0, 1), got ${c[k]}`);
  for (const k of ['warmupSteps', 'totalSteps'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`AdamW: ${k} must be a non-negative integer, got ${c[k]}`);
  }
}

export class AdamW {
  readonly config: AdamWConfig;
  readonly targets: OptimParam[];
  private moments: Moments;
  /** Updates done so far. */
  stepCount = 0;

  /** Accepts a registry, several registries (names prefixed "0/", "1/", ...), or explicit targets. */
  constructor(params: Params | Params[] | OptimParam[], config: Partial<AdamWConfig> = {}) {
    this.config = { ...DEFAULT_ADAMW, ...config };
    checkConfig(this.config);
    if (Array.isArray(params) && params.length > 0 && 'define' in params[0]) {
      const list = params as Params[];
      this.targets = list.length === 1 ? optimParams(list[0]) : list.flatMap((p, i) => optimParams(p, `${i}/`));
    } else if (Array.isArray(params)) {
      this.targets = params as OptimParam[];
    } else {
      this.targets = optimParams(params);
    }
    this.moments = new Moments(this.targets);
  }

  /** The learning rate the next update will use. */
  get lr(): number {
    return scheduledLr(this.stepCount, this.config);
  }

  /** The gradient each target's next update applies (see stepGrad); release with releaseGrads. */
  private collectGrads(): { t: OptimParam; p: Tensor; g: StepGrad }[] {
    const out: { t: OptimParam; p: Tensor; g: StepGrad }[] = [];
    for (const t of this.targets) {
      const p = t.get();
      const g = stepGrad(p);
      if (g) out.push({ t, p, g });
    }
    return out;
  }

  private static releaseGrads(grads: { g: StepGrad }[]): void {
    for (const { g } of grads) g.temp?.release();
  }

  /**
   * Squared global gradient norm as a device scalar [1]: Σ over parameters of Σ g², a row-sparse
   * gradient counting its values (the rows it leaves out are zero). null when no parameter has a
   * gradient.
   */
  gradNormSquared(): Tensor | null {
    const grads = this.collectGrads();
    try {
      return AdamW.normSquared(grads.map((e) => e.g));
    } finally {
      AdamW.releaseGrads(grads);
    }
  }

  private static normSquared(grads: StepGrad[]): Tensor | null {
    return T.scope(() => {
      let acc: Tensor | null = null;
      for (const g of grads) {
        const s = T.sumAll(T.square(g.sparse ? g.sparse.values : g.dense!));
        acc = acc ? T.add(acc, s) : s;
      }
      return acc;
    });
  }

  /**
   * One update from the gradients in param.grad and param.sparseGrad (call after backward; zero
   * them afterwards).
   */
  async step(opts: StepOptions = {}): Promise<StepInfo> {
    const grads = this.collectGrads();
    try {
      return await this.update(grads, opts);
    } finally {
      AdamW.releaseGrads(grads);
    }
  }

  private async update(grads: { t: OptimParam; p: Tensor; g: StepGrad }[], opts: StepOptions): Promise<StepInfo> {
    const cfg = this.config;
    const lr = this.lr;
    const clip = cfg.clipNorm > 0;
    // The single readback: [Σg², loss] (either may be absent).
    let gradNorm: number | undefined;
    let loss: number | undefined;
    let extra: Float32Array | undefined;
    if (clip || opts.loss || opts.extra) {
      const packed = T.noGrad(() =>
        T.scope(() => {
          const parts: Tensor[] = [];
          const n2 = clip ? AdamW.normSquared(grads.map((e) => e.g)) : null;
          if (n2) parts.push(n2);
          if (opts.loss) parts.push(T.reshape(opts.loss, [opts.loss.size]));
          if (opts.extra) parts.push(T.reshape(opts.extra, [opts.extra.size]));
          return parts.length > 0 ? T.concat(parts, 0) : null;
        }),
      );
      if (packed) {
        const host = await packed.data();
        packed.release();
        let k = 0;
        if (clip && grads.length > 0) gradNorm = Math.sqrt(host[k++]);
        if (opts.loss) loss = opts.loss.size === 1 ? host[k] : undefined;
        if (opts.loss) k += opts.loss.size;
        if (opts.extra) extra = (host as Float32Array).slice(k, k + opts.extra.size);
      }
    }
    if (gradNorm !== undefined && !Number.isFinite(gradNorm)) {
      throw new Error(`AdamW.step: the gradient norm is ${gradNorm} at update ${this.stepCount + 1}; not updating`);
    }
    const gradScale = gradNorm !== undefined && gradNorm > cfg.clipNorm ? cfg.clipNorm / (gradNorm + 1e-6) : 1;

    this.stepCount++;
    for (const { t, p, g } of grads) {
      const m = this.moments.m.get(t.name)!;
      const v = this.moments.v.get(t.name)!;
      const h = adamHyper(cfg, this.stepCount, lr, t.decay ? cfg.weightDecay : 0, gradScale);
      if (g.sparse) {
        adamSparseUpdate(p, m, v, g.sparse, h, t.name);
        continue;
      }
      // Dense (or dense + sparse summed): the listed rows and the sparse part's, else everything.
      const dense = g.dense!;
      const rows = t.sparse ? opts.rows?.[t.name] : undefined;
      if (rows) adamRowsUpdate(p, m, v, unionRows(rows, g.touched, p.shape[0]), h, t.name, dense);
      else p.backend.adamw(p.buf, dense.buf, m.buf, v.buf, p.size, h);
    }
    return { step: this.stepCount, lr, loss, gradNorm, gradScale, extra };
  }

  /** Releases every gradient of the optimized parameters. */
  zeroGrad(): void {
    T.zeroGrad(this.targets.map((t) => t.get()));
  }

  exportState(): Promise<AdamState> {
    return this.moments.export(this.stepCount);
  }

  importState(state: AdamState): void {
    this.moments.import(state, 'AdamW.importState');
    this.stepCount = state.step;
  }

  dispose(): void {
    this.moments.dispose();
  }
}
