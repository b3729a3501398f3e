// Reverse-mode automatic differentiation over the graph that ops record (Tensor.node).
// backward(loss) walks the graph from the loss in reverse topological order; each node maps
// the gradient of its output to gradients of its inputs, and a tensor used twice receives the
// sum of both contributions (gradients accumulate with +=, as in micrograd). Leaves (tensors
// marked with .param() or requiresGrad) keep their gradient in .grad; every other gradient is
// released as soon as its node has been processed, so the backward pass holds little memory.

import { detach, keep, noGrad, scope, Tensor, withLabel } from './tensor';
import { shapeStr, sameShape } from './shape';
import { add } from './ops/elementwise';
import { full } from './ops/creation';

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

/**
 * Computes d(root)/d(leaf) for every leaf that requires a gradient and adds it into leaf.grad.
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
    grads.set(root, keep(grad ? detach(grad) : full(root.shape, 1, root.dtype, root.backend)));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        // A leaf: its gradient accumulates across backward calls until zeroGrad.
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
      const node = t.node;
      const ins = scope(() => withLabel(node.label ?? null, () => node.backward(g)));
      const given = new Set<Tensor>();
      ins.forEach((gi, k) => {
        if (!gi) return;
        const x = node.inputs[k];
        // A backward may return g itself or the same tensor twice: give each slot its own handle.
        let own = gi === g || given.has(gi) ? detach(gi) : gi;
        given.add(gi);
        own = keep(own);
        if (!x.requiresGrad) {
          own.release();
          return;
        }
        if (!sameShape(own.shape, x.shape)) {
          throw new Error(`backward of ${node.op}: gradient ${shapeStr(own.shape)} for input ${shapeStr(x.shape)}`);
        }
        accumulate(grads, x, own);
      });
      // Gradients handed to inputs that are not in `given` were temporaries of the scope above.
      g.release();
    }
  });
}

/** Releases the gradients of the given tensors. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    if (p.grad) {
      p.grad.release();
      p.grad = null;
    }
  }
}
