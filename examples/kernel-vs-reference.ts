// Run a tensor op and a WGSL kernel directly on WebGPU and check each against its reference,
// through the package's public API.
//
//   npx tsx examples/kernel-vs-reference.ts
//
// 1. A tensor op: softmax(A·B) with autograd tensors on the WebGPU backend and on the plain-TS
//    cpu backend (the reference), same inputs.
// 2. A kernel: the matmul WGSL kernel the WebGPU backend picks for this adapter (matmulGpu), on
//    GPU buffers, against matmulRef, its TypeScript reference, on typed arrays.
// Both print the largest absolute difference and exit 1 when it exceeds 1e-4. Without a GPU the
// kernels run on Mesa's llvmpipe; with no WebGPU adapter at all this stops with what to install.
import { CpuBackend, Rng, WebGpuBackend, matmul, softmax, tensor, type Backend } from 'ngame-ts';
import { closeGpu, matmulConfig, matmulGpu, matmulRef, type MatmulParams } from 'ngame-ts/kernels';

const [M, K, N] = [37, 64, 29]; // sizes that are not multiples of the kernels' tiles
const rng = new Rng(7);
const a = Float32Array.from({ length: M * K }, () => rng.normal());
const b = Float32Array.from({ length: K * N }, () => rng.normal());
const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);

const gpu = await WebGpuBackend.create();
console.log(`adapter: ${gpu.deviceName}`);

// 1. softmax(A·B) as tensors on each backend.
const run = (be: Backend) => softmax(matmul(tensor(a, [M, K], { backend: be }), tensor(b, [K, N], { backend: be }))).data();
const opDiff = maxDiff(await run(gpu), await run(new CpuBackend()));
console.log(`tensor op softmax(A·B) (${M}×${K} · ${K}×${N}): max |webgpu − cpu| = ${opDiff.toExponential(2)}`);

// 2. The matmul kernel itself, on GPU buffers of the backend's runtime.
const rt = gpu.rt;
const p: MatmulParams = { batch: 1, M, N, K, transA: false, transB: false, strideA: 0, strideB: 0 };
const [ga, gb] = [rt.upload(a), rt.upload(b)];
const gc = matmulGpu(rt, ga, gb, p);
const out = new Float32Array(await rt.read(gc, M * N * 4));
for (const buf of [ga, gb, gc]) rt.release(buf);
const kernelDiff = maxDiff(out, matmulRef(a, b, p));
console.log(`kernel matmul (${matmulConfig(rt).variant} variant): max |matmulGpu − matmulRef| = ${kernelDiff.toExponential(2)}`);

await closeGpu(); // an open device keeps node from exiting
const ok = opDiff <= 1e-4 && kernelDiff <= 1e-4;
console.log(ok ? 'both agree with their references' : 'MISMATCH: above 1e-4');
process.exitCode = ok ? 0 : 1;
