// Finite-difference gradient checking in float64 on the cpu backend.
// The loss is Σ f(x)·w with fixed random weights w, so every output element's gradient matters.
import { CpuBackend, backward, mul, noGrad, scope, sumAll, tensor, type Tensor } from '../../src/tensor';
import { Rng } from '../../src/util/rng';

export const cpu = new CpuBackend();

/** A leaf's whole gradient as a dense array: its dense .grad plus its row-sparse .sparseGrad. */
export function leafGrad(x: Tensor): Float64Array {
  const out = x.grad ? Float64Array.from(x.grad.dataSync()) : new Float64Array(x.size);
  const s = x.sparseGrad;
  if (s) {
    const v = s.values.dataSync();
    s.rows.forEach((r, j) => {
      for (let c = 0; c < s.cols; c++) out[r * s.cols + c] += v[j * s.cols + c];
    });
  }
  return out;
}

export interface Input {
  shape: number[];
  /** Values; random normal if omitted. */
  values?: Float64Array;
  /** Not differentiated (e.g. indices, masks). */
  constant?: Tensor;
}

function makeInputs(inputs: Input[], rng: Rng): Float64Array[] {
  return inputs.map((inp) => {
    if (inp.values) return inp.values;
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  });
}

/**
 * Returns the relative error ‖analytic − numeric‖ / max(‖numeric‖, 1e-8) of the gradients of
 * Σ f(x)·w with respect to every non-constant input.
 */
export function gradCheck(f: (xs: Tensor[]) => Tensor, inputs: Input[], seed = 1, h = 1e-6): number {
  const rng = new Rng(seed);
  const values = makeInputs(inputs, rng);
  let weights: Float64Array | null = null;
  let outShape: number[] = [];

  const lossOf = (vals: Float64Array[], withGrad: boolean): { loss: number; grads: (Float64Array | null)[] } =>
    scope(() => {
      const xs = inputs.map((inp, i) => inp.constant ?? tensor(vals[i], inp.shape, { backend: cpu, dtype: 'f64', requiresGrad: withGrad }));
      const y = f(xs);
      if (!weights) {
        outShape = y.shape;
        weights = new Float64Array(y.size);
        for (let i = 0; i < y.size; i++) weights[i] = rng.normal();
      }
      const loss = sumAll(mul(y, tensor(weights, outShape, { backend: cpu, dtype: 'f64' })));
      if (withGrad) backward(loss);
      const grads = xs.map((x, i) => (inputs[i].constant ? null : leafGrad(x)));
      return { loss: loss.dataSync()[0], grads };
    });

  const { grads } = lossOf(values, true);
  let num2 = 0;
  let diff2 = 0;
  noGrad(() => {
    inputs.forEach((inp, i) => {
      if (inp.constant) return;
      const v = values[i];
      for (let j = 0; j < v.length; j++) {
        const orig = v[j];
        v[j] = orig + h;
        const lp = lossOf(values, false).loss;
        v[j] = orig - h;
        const lm = lossOf(values, false).loss;
        v[j] = orig;
        const numeric = (lp - lm) / (2 * h);
        const analytic = grads[i]![j];
        num2 += numeric * numeric;
        diff2 += (analytic - numeric) ** 2;
      }
    });
  });
  return Math.sqrt(diff2) / Math.max(Math.sqrt(num2), 1e-8);
}
