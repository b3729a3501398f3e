// A named parameter registry: every trainable tensor of a model lives here under a stable name
// ("layers.0.attn.q.weight"), with how it is initialised and how the optimizer treats it
// (weight decay or not, dense or row-sparse updates). Layers look their tensors up by name on
// every forward pass, so the registry can swap a tensor (move to another backend, load weights,
// inject a gradient-check input) without the layers noticing.

import * as T from '../tensor';
import type { Backend, DType, Tensor } from '../tensor';
import { Rng } from '../util/rng';

export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** AdamW weight decay applies (false for biases and LayerNorm gains/shifts). */
  decay: boolean;
  /** A big table (embeddings, per-label classifiers) that may be updated row-sparsely. */
  sparse: boolean;
}

export interface DefineOptions {
  decay?: boolean;
  sparse?: boolean;
}

/** Host copy of one parameter (for checkpoints and exports). */
export interface HostTensor {
  shape: number[];
  data: Float32Array | Float64Array;
}

/** FNV-1a hash of a name: each parameter's initial values depend only on (seed, name). */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class Params {
  private specs = new Map<string, ParamSpec>();
  private tensors = new Map<string, Tensor>();

  constructor(
    public backend: Backend,
    readonly dtype: DType = 'f32',
    /** Initialisation seed: parameter `name` is drawn from Rng(seed ^ hash(name)). */
    readonly seed = 0,
  ) {
    if (dtype !== 'f32' && dtype !== 'f64') throw new Error(`Params: dtype must be f32 or f64, got ${dtype}`);
    if (!backend.supports(dtype)) throw new Error(`Params: backend ${backend.name} does not support ${dtype}`);
  }

  /** Declares and initialises a parameter. Names must be unique. */
  define(name: string, shape: number[], init: Init, opts: DefineOptions = {}): Tensor {
    if (this.specs.has(name)) throw new Error(`Params.define: parameter "${name}" is defined twice`);
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`Params.define: parameter "${name}" has an invalid shape [${shape.join(', ')}]`);
    }
    const spec: ParamSpec = { name, shape: [...shape], init, decay: opts.decay ?? true, sparse: opts.sparse ?? false };
    this.specs.set(name, spec);
    const t = this.initTensor(spec);
    this.tensors.set(name, t);
    return t;
  }

  private initTensor(spec: ParamSpec): Tensor {
    const opts = { backend: this.backend, dtype: this.dtype };
    let t: Tensor;
    if (spec.init.kind === 'normal') {
      t = T.randn(spec.shape, new Rng((this.seed ^ hashName(spec.name)) >>> 0), spec.init.std, opts);
    } else {
      t = T.full(spec.shape, spec.init.kind === 'ones' ? 1 : 0, this.dtype, this.backend);
    }
    return T.keep(t).param();
  }

  /** The current tensor of a parameter. */
  get(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`Params.get: no parameter "${name}"`);
    return t;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`Params.spec: no parameter "${name}"`);
    return s;
  }

  /**
   * Replaces a parameter's tensor (same shape). The previous tensor is released unless it is `t`
   * itself. Used to load weights and, in gradient checks, to inject input tensors.
   */
  set(name: string, t: Tensor): void {
    const spec = this.spec(name);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`Params.set: "${name}" needs shape [${spec.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
    const prev = this.tensors.get(name);
    if (prev && prev !== t) prev.release();
    this.tensors.set(name, t);
  }

  /** Names in definition order. */
  names(): string[] {
    return [...this.specs.keys()];
  }

  /** (name, tensor) pairs in definition order. */
  entries(): [string, Tensor][] {
    return this.names().map((n) => [n, this.get(n)]);
  }

  list(): Tensor[] {
    return this.names().map((n) => this.get(n));
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const s of this.specs.values()) n += s.shape.reduce((a, b) => a * b, 1);
    return n;
  }

  /** Releases every gradient (call before each backward pass). */
  zeroGrad(): void {
    T.zeroGrad(this.list());
  }

  /** Copies every parameter to another backend (one readback each) and releases the old tensors. */
  async to(backend: Backend): Promise<void> {
    if (backend === this.backend) return;
    if (!backend.supports(this.dtype)) throw new Error(`Params.to: backend ${backend.name} does not support ${this.dtype}`);
    for (const [name, t] of this.entries()) {
      const moved = T.keep(await T.toBackend(t, backend)).param();
      t.release();
      this.tensors.set(name, moved);
    }
    this.backend = backend;
  }

  /** Host copies of every parameter, by name. */
  async toHost(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of this.entries()) {
      out[name] = { shape: [...t.shape], data: (await t.data()) as Float32Array | Float64Array };
    }
    return out;
  }

  /**
   * Loads values for the named parameters (converted to this registry's dtype). With
   * `strict` (default), every parameter must be given and no unknown name may appear.
   */
  load(values: Record<string, { shape: number[]; data: ArrayLike<number> }>, source = 'load', strict = true): void {
    for (const name of Object.keys(values)) {
      if (!this.specs.has(name)) {
        if (strict) throw new Error(`${source}: unknown parameter "${name}"`);
        continue;
      }
    }
    if (strict) {
      for (const name of this.names()) if (!(name in values)) throw new Error(`${source}: parameter "${name}" is missing`);
    }
    for (const [name, v] of Object.entries(values)) {
      if (!this.specs.has(name)) continue;
      const spec = this.spec(name);
      if (v.shape.length !== spec.shape.length || v.shape.some((d, i) => d !== spec.shape[i])) {
        throw new Error(`${source}: parameter "${name}" has shape [${v.shape.join(', ')}], expected [${spec.shape.join(', ')}]`);
      }
      const t = T.keep(T.tensor(v.data, spec.shape, { backend: this.backend, dtype: this.dtype })).param();
      this.set(name, t);
    }
  }

  /** Releases every parameter (and its gradient). */
  dispose(): void {
    for (const t of this.tensors.values()) t.release();
  }
}
