// ngame-ts tensor library: everything a model needs, from one import.
export { Tensor, Storage, scope, scopeAsync, keep, noGrad, isGradEnabled, detach, withLabel, currentLabel } from './tensor';
export { backward, zeroGrad } from './autograd';
export type { Backend, BackendBuffer, MemoryStats, AdamHyper } from './backend';
export type { DType, TypedArray } from './dtype';
export { CpuBackend } from './cpu/backend';
export * from './ops/creation';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/matmul';
export * from './ops/shape';
export * from './ops/nn';
export { expandTo, sumTo } from './ops/broadcast';
