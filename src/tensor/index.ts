// ngame-ts tensor library: everything a model needs, from one import.
export { Tensor, Storage, RowSparse, scope, scopeAsync, keep, noGrad, isGradEnabled, detach, withLabel, currentLabel } from './tensor';
export { backward, zeroGrad } from './autograd';
export type { Backend, BackendBuffer, MemoryStats, AdamHyper } from './backend';
export type { DType, TypedArray } from '../util/dtype';
export type { Grad } from './tensor';
export { CpuBackend } from './cpu/backend';
export * from './ops/creation';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/matmul';
export * from './ops/shape';
export * from './ops/nn';
export * from './ops/bag';
export { expandTo, sumTo } from './ops/broadcast';
