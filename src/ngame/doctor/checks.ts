// `ngame doctor`'s kernel checks: each WGSL kernel of src/kernels run on a few small random shapes
// (1s, primes, sizes that are not multiples of a tile) beside its plain-TS reference, on this
// adapter. A check passes when every output of every shape is within its tolerance in the
// measure the kernel tests use (relErr: ‖got − want‖ / ‖want‖; 0 = bit-identical). Outputs are
// poisoned with NaN bits before each kernel runs, so an element a kernel fails to write fails.
// The checks themselves are data (kernel-cases-*.ts), so a test can run a wrong one and see the
// failure named.
import type { Runtime } from '../../kernels/webgpu/runtime';
import { Rng } from '../../util/rng';
import { largestDiff, relErr } from '../../util/relerr';

/** One output of one run of a kernel, beside its reference's. */
export interface Output {
  /** e.g. "y", "dx", "indices". */
  name: string;
  got: ArrayLike<number>;
  want: ArrayLike<number>;
  /** This output's tolerance, where it differs from the check's (e.g. 0 for reduce's max beside its sum). */
  tol?: number;
}

/** A kernel and the shapes it runs on; `run` records, reads back and releases its buffers. */
export interface KernelCheck {
  kernel: string;
  /** Largest relErr allowed per output (0: bit-identical). */
  tol: number;
  /**
   * Outputs whose RMS is below this are judged by absolute error (relErr's floor, floor·√length):
   * for ops whose outputs can be tiny by f32 cancellation alone (tanh' = 1 − y² near saturation).
   */
  floor?: number;
  /** Each shape's parameters, printed as "k=v k=v" when it fails. */
  shapes: Record<string, number | string | boolean>[];
  run(rt: Runtime, shape: Record<string, number | string | boolean>, rng: Rng): Promise<Output[]>;
}

/** A check with typed shapes (the list holds them erased to KernelCheck). */
export function kernelCheck<S extends Record<string, number | string | boolean>>(c: {
  kernel: string; tol: number; floor?: number; shapes: S[]; run(rt: Runtime, shape: S, rng: Rng): Promise<Output[]>;
}): KernelCheck {
  return c as unknown as KernelCheck;
}

export interface CheckResult {
  kernel: string;
  pass: boolean;
  /** Shapes run. */
  shapes: number;
  /** The first disagreement: its shape, output, relErr (NaN: an unwritten element), largest |got − want| and where. */
  failure?: { shape: string; output: string; relErr: number; tol: number; largestDiff: number; index: number };
  /** A kernel that threw (a WebGPU validation error, a limit) instead of returning. */
  error?: string;
}

export function shapeLabel(shape: Record<string, number | string | boolean>): string {
  return Object.entries(shape).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** Runs every check on `rt` with poisoned outputs; the seed fixes every random input. */
export async function runKernelChecks(rt: Runtime, checks: readonly KernelCheck[], seed = 0,
  onResult?: (r: CheckResult) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const poison = rt.poison;
  rt.poison = true;
  try {
    for (const [i, c] of checks.entries()) {
      const r = await runOne(rt, c, new Rng(seed * 1000 + i));
      results.push(r);
      onResult?.(r);
    }
  } finally {
    rt.poison = poison;
  }
  return results;
}

async function runOne(rt: Runtime, c: KernelCheck, rng: Rng): Promise<CheckResult> {
  for (const shape of c.shapes) {
    let outputs: Output[];
    try {
      outputs = await c.run(rt, shape, rng);
    } catch (e) {
      rt.ctx.uncaptured.length = 0; // reported here; the next check starts clean
      return { kernel: c.kernel, pass: false, shapes: c.shapes.length, error: `${shapeLabel(shape)}: ${(e as Error).message}` };
    }
    for (const o of outputs) {
      const err = relErr(o.got, o.want, { floor: (c.floor ?? 0) * Math.sqrt(o.want.length) });
      const d = largestDiff(o.got, o.want);
      const tol = o.tol ?? c.tol;
      // Equal outputs pass whatever the tolerance (relErr of a zero reference is not 0/0).
      if (d.index >= 0 && !(err <= tol)) {
        return { kernel: c.kernel, pass: false, shapes: c.shapes.length, failure: { shape: shapeLabel(shape), output: o.name, relErr: err, tol, largestDiff: d.diff, index: d.index } };
      }
    }
  }
  return { kernel: c.kernel, pass: true, shapes: c.shapes.length };
}

/** "kernel K disagrees with its reference at shape S: output y, largest difference D at element I (relErr E > T)". */
export function describeFailure(r: CheckResult): string {
  if (r.error) return `kernel ${r.kernel} failed to run at ${r.error}`;
  const f = r.failure!;
  const diff = Number.isNaN(f.largestDiff) ? 'NaN (an element not written, or NaN against a number)' : f.largestDiff.toPrecision(3);
  return `kernel ${r.kernel} disagrees with its reference at shape ${f.shape}: output ${f.output}, largest difference ${diff} at element ${f.index} (relative error ${f.relErr.toPrecision(3)} > ${f.tol})`;
}

/** Uploads and kernel outputs of one check run, read back as typed arrays; withBufs releases them. */
export class Bufs {
  private held: GPUBuffer[] = [];
  constructor(private rt: Runtime) {}
  up(data: ArrayBufferView & ArrayLike<number>): GPUBuffer {
    // An empty upload still needs a buffer to bind (the kernel reads none of it).
    return this.own(this.rt.upload(data.length > 0 ? data : new Float32Array(1)));
  }
  own<T extends GPUBuffer>(b: T): T {
    this.held.push(b);
    return b;
  }
  async f32(b: GPUBuffer, n: number): Promise<Float32Array> {
    return new Float32Array(await this.rt.read(this.own(b), n * 4));
  }
  async i32(b: GPUBuffer, n: number): Promise<Int32Array> {
    return new Int32Array(await this.rt.read(this.own(b), n * 4));
  }
  release(): void {
    for (const b of new Set(this.held)) this.rt.release(b);
    this.held = [];
  }
}

/** Runs `f` with a Bufs and releases every buffer it holds afterwards, thrown or not. */
export async function withBufs<T>(rt: Runtime, f: (b: Bufs) => Promise<T>): Promise<T> {
  const b = new Bufs(rt);
  try {
    return await f(b);
  } finally {
    b.release();
  }
}
