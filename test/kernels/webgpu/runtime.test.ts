// Submit counts of the runtime: host uploads (a step's ids, mask, scatter plans, sparse rows)
// must not force a submit. queue.writeBuffer lands before recorded-but-unsubmitted work, so an
// upload takes a pooled buffer that no such work binds instead of flushing. Counts, not timing.
import { afterAll, describe, expect, it } from 'vitest';
import { GpuBuffer, WebGpuBackend } from '../../../src/tensor/webgpu/backend';
import { closeGpu } from '../../../src/kernels/webgpu/device';
import * as T from '../../../src/tensor';
import { Encoder } from '../../../src/model/encoder';
import { AdamW } from '../../../src/model/optim';
import { Rng } from '../../../src/util/rng';

afterAll(closeGpu);

describe('webgpu runtime: uploads and submits', () => {
  it('an upload into a size whose parked buffer is still bound by recorded work does not submit', async () => {
    const be = await WebGpuBackend.create();
    be.flush();
    const before = { ...be.rt.counters };
    const a = T.tensor([1, 2, 3, 4], [4], { backend: be });
    const aBuf = (a.buf as GpuBuffer).buffer;
    const b = T.shift(a, 1); // recorded, binds a's buffer
    a.release(); // a's buffer is parked, still bound by the unsubmitted shift
    const a2 = T.tensor([10, 20, 30, 40], [4], { backend: be }); // same size
    expect((a2.buf as GpuBuffer).buffer).not.toBe(aBuf);
    expect(be.rt.counters.submits - before.submits).toBe(0);
    const c = T.add(b, a2);
    expect(Array.from(await c.data())).toEqual([12, 23, 34, 45]);
    expect(be.rt.counters.submits - before.submits).toBe(1); // the read
    for (const t of [b, a2, c]) t.release();
  });

  it('a training step with uploads (ids, mask, scatter plans, sparse rows) is one submit and one readback; the pool stops growing', async () => {
    const be = await WebGpuBackend.create();
    const B = 8;
    const L = 8;
    const enc = new Encoder({ vocabSize: 60, dim: 16, layers: 1, heads: 2, ffn: 32, maxLen: L, dropout: 0.1 }, { backend: be, seed: 1 });
    const opt = new AdamW(enc.params, { lr: 1e-3 });
    const rng = new Rng(3);
    const data = new Rng(4);
    const eye = T.keep(T.tensor(Float32Array.from({ length: (B / 2) ** 2 }, (_, i) => (i % (B / 2 + 1) === 0 ? 1 : 0)), [B / 2, B / 2], { backend: be }));
    // The same batch every step (as bench/encoder.ts): new batches upload row lists of new
    // lengths, which may fall in new size classes; that is tested below, not here.
    const ids = new Int32Array(B * L);
    const mask = new Uint8Array(B * L);
    for (let b = 0; b < B; b++) {
      const len = 2 + data.int(L - 1);
      for (let t = 0; t < len; t++) {
        ids[b * L + t] = 1 + data.int(59);
        mask[b * L + t] = 1;
      }
    }
    const step = async () => {
      const loss = T.scope(() => {
        const e = enc.forward(ids, mask, B, L, { training: true, rng }); // (B, 16)
        const logits = T.scale(T.matmul(T.slice(e, 0, 0, B / 2), T.slice(e, 0, B / 2, B), { transB: true }), 20);
        const l = T.scale(T.sumAll(T.mul(T.logSoftmax(logits), eye)), -2 / B);
        T.backward(l);
        return l;
      });
      const info = await opt.step({ loss, rows: { 'embed.tokens': ids } });
      loss.release();
      opt.zeroGrad();
      return info.loss!;
    };
    await step(); // the first step fills the pool
    const held: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c0 = { ...be.rt.counters };
      const loss = await step();
      expect(Number.isFinite(loss)).toBe(true);
      // The step's work (and the previous step's AdamW update, recorded after its readback) goes
      // in the one submit of the step's readback.
      expect(be.rt.counters.submits - c0.submits).toBe(1);
      expect(be.rt.counters.readbacks - c0.readbacks).toBe(1);
      expect(be.rt.counters.dispatches - c0.dispatches).toBeGreaterThan(50);
      const m = be.memory();
      held.push(m.liveBytes + m.pooledBytes);
    }
    // Uploads that skip pending buffers add at most a few buffers, in the first steps only.
    expect(held[3]).toBe(held[1]);
    eye.release();
    enc.dispose();
    opt.dispose();
  });

  it('poison mode writes NaN into a fresh buffer without submitting', async () => {
    const be = await WebGpuBackend.create();
    be.flush();
    be.rt.poison = true;
    try {
      const before = be.rt.counters.submits;
      const a = T.tensor([1, 2, 3, 4], [4], { backend: be });
      const x = T.shift(a, 1);
      const y = T.neg(x);
      x.release(); // parked, still bound by the unsubmitted shift and neg
      const z = T.scale(y, 2); // its output is poisoned by a host write: not into x's buffer
      expect(be.rt.counters.submits - before).toBe(0);
      expect(Array.from(await z.data())).toEqual([-4, -6, -8, -10]);
      for (const t of [a, y, z]) t.release();
    } finally {
      be.rt.poison = false;
    }
  });
});
