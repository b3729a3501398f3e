// `ngame doctor`: what this machine runs ngame on, whether every kernel computes what its
// TypeScript reference computes there, and how fast the main work runs (the role of PyTorch's
// collect_env plus a smoke test). The adapter Dawn picks (device.ts: a GPU first, then llvmpipe),
// its limits that bound what trains here, the matmul kernel chosen for it; each kernel check
// (checks.ts); then, when every kernel agrees, the timings (timings.ts). With no adapter there is
// nothing to check: training runs on the cpu backend (plain TypeScript), which is not an error
// unless a GPU is required.
import { cpus, platform, release, arch } from 'node:os';
import { createRequire } from 'node:module';
import type { GpuContext } from '../../kernels/webgpu/device';
import { matmulConfig } from '../../kernels/matmul';
import { WebGpuBackend } from '../../tensor/webgpu/backend';
import { runKernelChecks, type CheckResult, type KernelCheck } from './checks';
import { ELEMENTWISE_CHECKS } from './kernel-cases-elementwise';
import { ROW_CHECKS } from './kernel-cases-rows';
import { doctorTimings, type DoctorTimings } from './timings';

/** Every WGSL kernel of src/kernels (each variant a kernel of its own), in the order they are run. */
export const KERNEL_CHECKS: readonly KernelCheck[] = [...ELEMENTWISE_CHECKS, ...ROW_CHECKS];

/** The device limits that bound the kernels here (Dawn grants the adapter's own, device.ts). */
export const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export interface SystemReport {
  node: string;
  os: string;
  cpus: string;
  /** The version of the `webgpu` package (Dawn's Node bindings), or null when it cannot be read. */
  webgpu: string | null;
}

export interface AdapterReport {
  /** The adapter as training logs name it (device.ts), e.g. "NVIDIA H100 ... (vulkan)". */
  name: string;
  /** 'gpu' (hardware) or 'llvmpipe' (a software adapter: llvmpipe, lavapipe, SwiftShader). */
  kind: GpuContext['kind'];
  vendor: string;
  architecture: string;
  device: string;
  /** The driver's description of itself, as Dawn reports it. */
  description: string;
  backend: string;
  features: string[];
  limits: Record<(typeof LIMITS)[number], number>;
  matmul: { variant: string; outputs: [number, number]; workgroup: [number, number]; tile: [number, number, number] | null };
}

export interface DoctorReport {
  system: SystemReport;
  /** null: no WebGPU adapter (noAdapter says why). */
  adapter: AdapterReport | null;
  noAdapter?: string;
  kernels: CheckResult[];
  timings: DoctorTimings | null;
  /** Why the timings were not taken, when they were not. */
  timingsSkipped?: string;
  /** Why the doctor fails (exit 1), when it does: a kernel disagrees, or --require-gpu without a GPU. */
  problems: string[];
  seconds: number;
}

export interface DoctorOptions {
  /** The kernel checks to run (default KERNEL_CHECKS; a test passes a wrong one). */
  checks?: readonly KernelCheck[];
  /** A software adapter or none is a failure. */
  requireGpu?: boolean;
  /** Seed of every random input (default 0). */
  seed?: number;
  /** Called once the adapter is open, before the checks (the CLI prints as it goes). */
  onAdapter?: (a: AdapterReport, s: SystemReport) => void;
  onKernel?: (r: CheckResult) => void;
}

function systemReport(): SystemReport {
  let webgpu: string | null = null;
  try {
    webgpu = (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    webgpu = null; // a package whose exports hide package.json
  }
  const c = cpus();
  return { node: process.version, os: `${platform()} ${release()} ${arch()}`, cpus: `${c.length} × ${c[0]?.model.trim() ?? 'unknown'}`, webgpu };
}

function adapterReport(be: WebGpuBackend): AdapterReport {
  const { ctx } = be.rt;
  const info = ctx.adapter.info;
  const m = matmulConfig(be.rt);
  const limits = Object.fromEntries(LIMITS.map((k) => [k, be.rt.limits[k]])) as AdapterReport['limits'];
  return {
    name: ctx.name, kind: ctx.kind, vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
    backend: ctx.backend, features: [...ctx.adapter.features].sort(), limits,
    matmul: { variant: m.variant, outputs: m.outputs, workgroup: m.workgroup, tile: m.tile },
  };
}

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const t0 = performance.now();
  const report: DoctorReport = { system: systemReport(), adapter: null, kernels: [], timings: null, problems: [], seconds: 0 };
  const finish = () => ({ ...report, seconds: (performance.now() - t0) / 1000 });
  let be: WebGpuBackend;
  try {
    be = await WebGpuBackend.create();
  } catch (e) {
    report.noAdapter = (e as Error).message;
    report.timingsSkipped = 'no WebGPU adapter';
    if (opts.requireGpu) report.problems.push('--require-gpu: no WebGPU adapter');
    return finish();
  }
  report.adapter = adapterReport(be);
  opts.onAdapter?.(report.adapter, report.system);
  if (opts.requireGpu && report.adapter.kind !== 'gpu') {
    report.problems.push(`--require-gpu: the adapter is ${be.deviceName}, a software renderer, not a GPU`);
    report.timingsSkipped = 'no GPU (--require-gpu)';
    return finish();
  }
  report.kernels = await runKernelChecks(be.rt, opts.checks ?? KERNEL_CHECKS, opts.seed ?? 0, opts.onKernel);
  const failed = report.kernels.filter((r) => !r.pass).length;
  if (failed > 0) {
    report.problems.push(`${failed} of ${report.kernels.length} kernels disagree with their references`);
    report.timingsSkipped = 'a kernel disagrees with its reference: its speed would mean nothing';
    return finish();
  }
  report.timings = await doctorTimings(be);
  return finish();
}
