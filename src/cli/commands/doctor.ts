// `ngame doctor [--json] [--require-gpu]`: the adapter, its limits and the matmul kernel chosen,
// every kernel against its TypeScript reference, and the main timings (src/ngame/doctor/).
// Exit 0 when every kernel agrees (or there is no adapter: the cpu backend runs then), 1 when a
// kernel disagrees (each named with its shape and largest difference on stderr) or when
// --require-gpu finds no GPU.
import type { Command } from '../command';
import { parseCli } from '../args';
import { closeGpu } from '../../kernels/webgpu/device';
import { describeFailure, type CheckResult, type KernelCheck } from '../../ngame/doctor/checks';
import { BAG_STEP, MATMUL_N, TOPK_SHAPE } from '../../ngame/doctor/timings';
import { KERNEL_CHECKS, runDoctor, type AdapterReport, type DoctorReport, type SystemReport } from '../../ngame/doctor/doctor';

const help = `usage: ngame doctor [--json] [--require-gpu]

Says what ngame runs on here and whether it computes right there:
  - the system (node, OS, CPUs) and the WebGPU adapter Dawn picks (a GPU first, then Mesa's
    llvmpipe): vendor, architecture, device, driver description, backend, features;
  - the device limits that bound training (the largest storage binding is the largest table a
    kernel binds whole), and the matmul kernel chosen for this adapter;
  - every WGSL kernel run on a few small random shapes (1s, primes, sizes past a tile) against
    its TypeScript reference, pass or fail each;
  - when all pass: matmul GFLOP/s at ${MATMUL_N}³, the bag encoder's M1 training step (FOLDOC,
    ${BAG_STEP.batch} documents, dim ${BAG_STEP.dim}) and a top-k of ${TOPK_SHAPE.rows} × ${TOPK_SHAPE.cols} (k = ${TOPK_SHAPE.k}).
Kernel checks print as they finish. With no adapter it says so: training then runs on the cpu
backend (plain TypeScript), which is not an error (exit 0) unless --require-gpu is given.

flags:
  --json          one JSON object (the same report) instead of text
  --require-gpu   exit 1 unless the adapter is a hardware GPU (none, or a software renderer such
                  as llvmpipe, fails at once, before the checks)

exit codes: 0 every kernel agrees; 1 a kernel disagrees with its reference (stderr names it, the
shape and the largest difference) or --require-gpu found no GPU; 2 bad usage.

examples:
  ngame doctor
  ngame doctor --json > doctor.json
  NGAME_WEBGPU_BACKEND=vulkan ngame doctor --require-gpu`;

const MiB = 2 ** 20;

function formatSystem(s: SystemReport): string {
  return `system: node ${s.node}, ${s.os}, ${s.cpus} CPUs; webgpu package ${s.webgpu ?? 'version unknown'}`;
}

function formatAdapter(a: AdapterReport): string {
  const lim = Object.entries(a.limits).map(([k, v]) => `  ${k.padEnd(34)} ${v}${v >= MiB ? ` (${(v / MiB).toFixed(0)} MiB)` : ''}`);
  const m = a.matmul;
  return [
    `adapter: ${a.name}, ${a.kind === 'gpu' ? 'a GPU' : 'a software renderer'}`,
    `  vendor ${a.vendor || '-'}, architecture ${a.architecture || '-'}, device ${a.device || '-'}; backend ${a.backend}`,
    `  driver: ${a.description || 'not reported'}`,
    `features: ${a.features.join(', ') || 'none'}`,
    'limits:',
    ...lim,
    `matmul kernel chosen: ${m.variant}, ${m.outputs.join('×')} outputs per invocation, workgroup ${m.workgroup.join('×')}${m.tile ? `, tile ${m.tile.join('×')}` : ''}`,
  ].join('\n');
}

function formatKernel(r: CheckResult): string {
  return r.pass ? `  pass  ${r.kernel} (${r.shapes} shapes)` : `  FAIL  ${describeFailure(r)}`;
}

function formatTail(r: DoctorReport): string {
  const lines: string[] = [];
  const t = r.timings;
  if (t) {
    lines.push('timings (after a warm-up; shared or throttled machines vary):');
    lines.push(`  matmul ${t.matmul.n}×${t.matmul.n}×${t.matmul.n} (${t.matmul.variant}): ${t.matmul.ms.toFixed(2)} ms, ${t.matmul.gflops.toFixed(2)} GFLOP/s`);
    lines.push(`  bag encoder M1 step (${t.bagStep.dataset}, ${t.bagStep.batch} documents, dim ${t.bagStep.dim}, ${t.bagStep.vocab} terms): ${t.bagStep.msPerStep.toFixed(1)} ms per step (mean of ${t.bagStep.steps})`);
    lines.push(`  top-k ${t.topk.rows}×${t.topk.cols}, k = ${t.topk.k}: ${t.topk.ms.toFixed(2)} ms`);
  } else if (r.timingsSkipped) lines.push(`timings: not taken (${r.timingsSkipped})`);
  const passed = r.kernels.filter((k) => k.pass).length;
  if (r.adapter && r.kernels.length > 0) lines.push(`${passed} of ${r.kernels.length} kernels agree with their references; ${r.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

function formatNoAdapter(r: DoctorReport): string {
  return `adapter: none (${r.noAdapter})\nngame runs on the cpu backend here (plain TypeScript, no WGSL kernels): 'ngame train' (--device auto) falls back to it.`;
}

/** The command, with the checks to run as a parameter (tests pass a wrong one). */
export async function doctor(argv: string[], checks: readonly KernelCheck[] = KERNEL_CHECKS): Promise<number> {
  const { values } = parseCli(argv, { json: { type: 'boolean' }, 'require-gpu': { type: 'boolean' } });
  const json = values.json === true;
  const say = (s: string) => {
    if (!json) console.log(s);
  };
  try {
    const report = await runDoctor({
      checks,
      requireGpu: values['require-gpu'] === true,
      onAdapter: (a, sys) => say(`${formatSystem(sys)}\n${formatAdapter(a)}\nkernels (each against its TypeScript reference):`),
      onKernel: (k) => say(formatKernel(k)),
    });
    if (json) console.log(JSON.stringify(report, null, 2));
    else console.log(report.adapter ? formatTail(report) : `${formatSystem(report.system)}\n${formatNoAdapter(report)}`);
    for (const k of report.kernels) if (!k.pass) console.error(`ngame doctor: ${describeFailure(k)}`);
    for (const p of report.problems) console.error(`ngame doctor: ${p}`);
    return report.problems.length > 0 ? 1 : 0;
  } finally {
    await closeGpu();
  }
}

export const doctorCommand: Command = {
  path: ['doctor'],
  summary: 'the WebGPU adapter, every kernel against its reference, and the main timings',
  help,
  run: (argv) => doctor(argv),
};
