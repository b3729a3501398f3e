// Autograd and lifetime semantics: accumulation, no-grad, detach, scopes, errors.
import { describe, expect, it } from 'vitest';
import * as T from '../../src/tensor';
import { makeOutput } from '../../src/tensor/tensor';
import { cpu, gradCheck } from './gradcheck';

const f64 = (v: number[], shape: number[], requiresGrad = false) => T.tensor(Float64Array.from(v), shape, { backend: cpu, dtype: 'f64', requiresGrad });

describe('autograd', () => {
  it('a tensor used twice receives both contributions', () => {
    const x = f64([1, 2, 3], [3], true);
    T.backward(T.sumAll(T.mul(x, x))); // d/dx Σx² = 2x
    expect(Array.from(x.grad!.dataSync())).toEqual([2, 4, 6]);
  });

  it('gradients accumulate across backward calls until zeroGrad', () => {
    const x = f64([1, -2], [2], true);
    T.backward(T.sumAll(T.scale(x, 3)));
    T.backward(T.sumAll(T.scale(x, 3)));
    expect(Array.from(x.grad!.dataSync())).toEqual([6, 6]);
    T.zeroGrad([x]);
    expect(x.grad).toBeNull();
  });

  it('noGrad records no graph and detach cuts it', () => {
    const x = f64([1, 2], [2], true);
    const y = T.noGrad(() => T.mul(x, x));
    expect(y.requiresGrad).toBe(false);
    const z = T.mul(T.detach(x), x); // only the second factor is differentiated
    T.backward(T.sumAll(z));
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 2]);
  });

  it('backward of a non-scalar needs a gradient, and errors name the shapes', () => {
    const x = f64([1, 2, 3, 4], [2, 2], true);
    const y = T.scale(x, 2);
    expect(() => T.backward(y)).toThrow(/shape \(2, 2\) is not a scalar/);
    T.backward(y, f64([1, 0, 0, 1], [2, 2]));
    expect(Array.from(x.grad!.dataSync())).toEqual([2, 0, 0, 2]);
    expect(() => T.add(x, f64([1, 2, 3], [3]))).toThrow(/add: shapes \(2, 2\) and \(3\) do not broadcast/);
    expect(() => T.matmul(x, f64([1, 2, 3], [3, 1]))).toThrow(/matmul: inner dimensions/);
    expect(() => T.add(x, T.tensor([1, 2, 3, 4], [2, 2], { backend: cpu }))).toThrow(/dtype mismatch/);
  });

  it('use of a released tensor throws before any work', () => {
    const x = f64([1, 2], [2]);
    x.release();
    expect(() => T.exp(x)).toThrow(/released/);
  });

  it('the gradient checker detects a wrong backward', () => {
    // y = 2x with a backward that claims 3: the check must fail.
    const wrong = (x: T.Tensor) =>
      makeOutput('wrong', x.backend, x.backend.unary('scale', x.buf, x.size, x.dtype, 2), x.shape, x.dtype, [x], (g) => [T.scale(g, 3)]);
    expect(gradCheck(([x]) => wrong(x), [{ shape: [3, 2] }])).toBeGreaterThan(0.1);
  });
});

describe('lifetimes', () => {
  it('scope releases intermediates and keeps what it returns', () => {
    const before = cpu.memory().liveBytes;
    const w = f64([1, 2, 3, 4], [2, 2], true);
    const out = T.scope(() => {
      const h = T.tanh(T.matmul(w, w));
      return T.sumAll(h);
    });
    expect(out.isReleased).toBe(false);
    out.release();
    w.release();
    expect(cpu.memory().liveBytes).toBe(before);
  });

  it('1,000 training-like iterations leave live bytes flat', () => {
    const x = T.tensor(Float32Array.from({ length: 8 * 5 }, (_, i) => Math.sin(i)), [8, 5], { backend: cpu });
    const w = T.tensor(Float32Array.from({ length: 5 * 3 }, (_, i) => Math.cos(i) / 3), [5, 3], { backend: cpu, requiresGrad: true });
    const b = T.tensor(new Float32Array(3), [3], { backend: cpu, requiresGrad: true });
    const live: number[] = [];
    for (let it = 0; it < 1000; it++) {
      T.scope(() => {
        const h = T.gelu(T.add(T.matmul(x, w), b));
        const loss = T.meanAll(T.neg(T.logSoftmax(T.layerNorm(h, T.tensor([1, 1, 1], [3], { backend: cpu }), T.tensor([0, 0, 0], [3], { backend: cpu })))));
        T.backward(loss);
        T.zeroGrad([w, b]);
      });
      live.push(cpu.memory().liveBytes);
    }
    expect(live[999]).toBe(live[9]);
  });
});
