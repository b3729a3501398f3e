// Reverse-mode automatic differentiation over the graph that ops record (Tensor.node).
// backward(loss) walks the graph from the loss in reverse topological order; each node maps
// the gradient of its output to gradients of its inputs, and a tensor used twice receives the
// sum of both contributions (gradients accumulate with +=, as in micrograd). Leaves (tensors
// marked with .param() or requiresGrad) keep their gradient in .grad; every other gradient is
// released as soon as its node has been processed, so the backward pass holds little memory.
// A backward may also return a row-sparse gradient (RowSparse, e.g. embeddingBag's): a leaf keeps
// it in .sparseGrad (coalesced when several arrive, across uses and backward calls), any other
// tensor gets it densified (scattered into a zero table) and carries on as a dense gradient.

import { detach, keep, noGrad, RowSparse, scope, Tensor, withLabel } from './tensor';
import { shapeStr, sameShape } from '../util/shape';
import { add } from './ops/elementwise';
import { full } from './ops/creation';
import { coalesceRowSparse, rowSparseToDense } from './ops/bag';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS (graphs of deep models overflow a recursive one).
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const x = inputs[i];
      if (x.requiresGrad && !seen.has(x)) {
        seen.add(x);
        stack.push([x, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order; // inputs before the tensors made from them
}

/** Adds `g` into the gradient slot of `t` in `grads`, releasing what it replaces. */
function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  if (!prev) {
    grads.set(t, g);
    return;
  }
  const sum = keep(add(prev, g));
  prev.release();
  g.release();
  grads.set(t, sum);
}

/** Adds the row-sparse gradients `parts` (owned) into leaf.sparseGrad, coalescing them into one. */
function accumulateSparse(leaf: Tensor, parts: RowSparse[]): void {
  const all = leaf.sparseGrad ? [leaf.sparseGrad, ...parts] : parts;
  const merged = all.length === 1 ? all[0] : scope(() => coalesceRowSparse(all));
  keep(merged.values);
  for (const p of all) if (p !== merged) p.release();
  leaf.sparseGrad = merged;
}

/** Throws unless `s` is a row-sparse gradient for the (numRows, cols) tensor x. */
function checkSparse(op: string, s: RowSparse, x: Tensor): void {
  if (x.rank !== 2 || x.shape[0] !== s.numRows || x.shape[1] !== s.cols) {
    throw new Error(`backward of ${op}: row-sparse gradient for a ${shapeStr(s.shape)} table given for input ${shapeStr(x.shape)}`);
  }
}

/**
 * Computes d(root)/d(leaf) for every leaf that requires a gradient and adds it into leaf.grad
 * (dense) or leaf.sparseGrad (row-sparse gradients, see RowSparse).
 * root must be a scalar unless `grad` (same shape as root) is given.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error(`backward: tensor ${shapeStr(root.shape)} does not require a gradient`);
  if (!grad && root.size !== 1) {
    throw new Error(`backward: tensor of shape ${shapeStr(root.shape)} is not a scalar; pass a gradient of the same shape`);
  }
  if (grad && !sameShape(grad.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${shapeStr(grad.shape)} does not match tensor shape ${shapeStr(root.shape)}`);
  }
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    // Row-sparse gradients waiting for their leaf, in arrival order (coalesced when it is reached).
    const sparse = new Map<Tensor, RowSparse[]>();
    grads.set(root, keep(grad ? detach(grad) : full(root.shape, 1, root.dtype, root.backend)));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      grads.delete(t);
      if (!t.node) {
        // A leaf: its gradients accumulate across backward calls until zeroGrad.
        const parts = sparse.get(t);
        if (parts) accumulateSparse(t, parts);
        if (!g) continue;
        if (t.grad) {
          const sum = keep(add(t.grad, g));
          t.grad.release();
          g.release();
          t.grad = sum;
        } else {
          t.grad = g;
        }
        continue;
      }
      if (!g) continue;
      const node = t.node;
      const ins = scope(() => withLabel(node.label ?? null, () => node.backward(g)));
      const given = new Set<Tensor>();
      // A backward may return g itself or the same tensor twice: give each slot its own handle.
      const own = (gi: Tensor): Tensor => {
        const o = gi === g || given.has(gi) ? detach(gi) : gi;
        given.add(gi);
        return keep(o);
      };
      ins.forEach((gi, k) => {
        if (!gi) return;
        const x = node.inputs[k];
        if (gi instanceof RowSparse) {
          const s = new RowSparse(gi.rows, own(gi.values), gi.numRows);
          if (!x.requiresGrad) return s.release();
          checkSparse(node.op, s, x);
          if (!x.node) {
            const list = sparse.get(x);
            if (list) list.push(s);
            else sparse.set(x, [s]);
            return;
          }
          // Not a leaf: densify and continue as a dense gradient.
          const dense = keep(rowSparseToDense(s));
          s.release();
          accumulate(grads, x, dense);
          return;
        }
        const o = own(gi);
        if (!x.requiresGrad) {
          o.release();
          return;
        }
        if (!sameShape(o.shape, x.shape)) {
          throw new Error(`backward of ${node.op}: gradient ${shapeStr(o.shape)} for input ${shapeStr(x.shape)}`);
        }
        accumulate(grads, x, o);
      });
      // Gradients handed to inputs that are not in `given` were temporaries of the scope above.
      g.release();
    }
  });
}

/** Releases the gradients (dense and row-sparse) of the given tensors. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    if (p.grad) {
      p.grad.release();
      p.grad = null;
    }
    if (p.sparseGrad) {
      p.sparseGrad.release();
      p.sparseGrad = null;
    }
  }
}
