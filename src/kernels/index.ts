// The kernels as a library ('ngame-ts/kernels'): each WGSL kernel (…Gpu, taking a Runtime and
// GPUBuffers) beside its plain-TypeScript reference (…Ref, on typed arrays), the op descriptors
// they take, and the WebGPU runtime (adapter choice, buffers, dispatch) they run on.
export type { UnaryOp, BinaryOp, ReduceOp, MatmulParams, AdamHyper } from './op-types';
export { gpuContext, closeGpu, type GpuContext, type AdapterKind } from './webgpu/device';
export { Runtime } from './webgpu/runtime';

export { fillRef, fillGpu, unaryRef, unaryGpu, unaryGradRef, unaryGradGpu, dropoutMaskRef, dropoutMaskGpu, binaryRef, binaryGpu, whereRef, whereGpu } from './elementwise';
export { stridedRef, stridedGpu, concat2Ref, concat2Gpu } from './layout';
export { reduceRef, reduceGpu, type ReduceOptions } from './reduce';
export { matmulRef, matmulGpu, matmulConfig, type MatmulConfig, type MatmulOptions, type MatmulVariant } from './matmul';
export { softmaxRef, softmaxGpu, softmaxGradRef, softmaxGradGpu } from './softmax';
export { layerNormRef, layerNormGpu, layerNormGradRef, layerNormGradGpu } from './layernorm';
export { gatherRef, gatherGpu, scatterAddRef, scatterAddGpu, scatterColsRef, scatterColsGpu } from './gather';
export { embeddingBagRef, embeddingBagGpu } from './embedding-bag';
export { topkRef, topkGpu, type TopkOptions } from './topk';
export { adamwRef, adamwGpu, adamRowsRef, adamRowsGpu } from './optim';
