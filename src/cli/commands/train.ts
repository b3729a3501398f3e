// `ngame train`: one NGAME run (M1 with a sampler, M2, fused evaluation) into an output directory.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, requirePath } from '../args';
import { Interrupted, stopOnSignals } from '../interrupt';
import { readJsonFile } from '../../util/json';
import { runDirAdvice, runDirConflict, runDirState, RunDirUnavailable } from '../../ngame/run-dir';
import { DEFAULT_RUN, mergeConfig, overlayConfig, type RunConfig } from '../../ngame/run-config';
import { configLeaves, formatSetting, parseSettings } from '../../ngame/config-settings';
import { runTraining } from '../../ngame/run';
import { formatComparisonTable, type Metrics } from '../../ngame/metrics';
import { loadDataset } from '../../ngame/data';
import { baselineMetrics } from '../../ngame/baselines';
import { consoleReporter } from '../progress';
import { closeGpu } from '../../kernels/webgpu/device';
import { formatBytes } from '../../util/memory';

/**
 * The settings block of --help, made from DEFAULT_RUN: every key with its default, one line per
 * group of keys (m1.*, curriculum.*, ...), wrapped at 100 columns.
 */
function settingsHelp(): string {
  const lines: string[] = [];
  let group: string | null = null;
  let line = '';
  for (const { key, value } of configLeaves()) {
    const g = key.includes('.') ? key.slice(0, key.indexOf('.')) : '';
    const item = `${key}=${formatSetting(value)}`;
    if (g !== group || line.length + 2 + item.length > 100) {
      if (line) lines.push(line);
      line = `${g !== group ? '  ' : '    '}${item}`;
      group = g;
    } else line += `  ${item}`;
  }
  lines.push(line);
  return lines.join('\n');
}

const help = `usage: ngame train [flags]

Trains NGAME on a dataset (the embedded FOLDOC-XRef-8K by default): M1 (the Siamese encoder
with the chosen negative sampler), then M2 (per-label classifiers), then evaluates the
embedding, classifier and fused scores on the test set. Writes config.json, log.jsonl (one line
per epoch), checkpoint/, bank.safetensors, model.safetensors, labels.jsonl, manifest.json and
metrics.json into --out. An --out that already holds a run is refused (before anything is
written) unless --resume continues it or --force replaces it; one training at a time writes an
--out (it holds --out/run.lock with its pid; a second is refused naming it; the lock of a killed
training is taken over with a warning). SIGINT or SIGTERM (Ctrl-C) stops the training after the
current step, keeping the checkpoint of the last finished M1 epoch (exit code 130 / 143);
--resume continues from it (stopped before the first checkpoint: nothing to resume, --force).

flags:
  --config FILE        JSON file with any RunConfig fields (--set and the flags below override it)
  --set KEY=VALUE      one setting of the run configuration by its dotted key (repeatable; the keys
                       and their defaults are listed below); overrides --config, and a flag below
                       overrides --set
  --data DIR           dataset directory (default: embedded FOLDOC-XRef-8K)
  --text short|long    text variant (default short)
  --sampler NAME       random | ngame | ance | mips-uniform | mips | meta (default ngame)
  --epochs N           M1 epochs (default ${DEFAULT_RUN.m1.epochs})
  --m2-epochs N        M2 epochs, 0 to skip M2 (default ${DEFAULT_RUN.m2.epochs})
  --batch-size N       M1 documents per batch (default ${DEFAULT_RUN.m1.batchSize})
  --lr X               M1 learning rate (default ${DEFAULT_RUN.m1.lr})
  --loss L             M1 loss: infonce | triplet | bce-own | auto (default infonce, for every sampler;
                       bce-own: BCE over each document's own positives and negatives, for ance,
                       mips-uniform, mips, meta; auto: InfoNCE for random, ngame and ance, pool
                       BCE for mips-uniform, mips and meta, as runs before 2026-12-03)
  --index exact|ivf    how ance / mips-uniform / mips search the labels for hard negatives
                       (default exact; ivf: an IVF index rebuilt at each refresh, config "mining")
  --search exact|hnsw|auto   how documents find their labels at inference, in the M2 shortlist
                       and in exact mining: exact, or HNSW graphs (inference: NGAME's dual
                       shortlist, graphs saved in --out); auto (default): HNSW above 100,000 labels
  --encoder bag|transformer   bag (default): TF-IDF-weighted bag of term embeddings + residual
                       block, learns from scratch on a CPU; transformer: for a GPU / --pretrained
  --ngrams 1|2         bag encoder features: word unigrams (default), or also word bigrams
  --pretrained DIR     (implies --encoder transformer) fine-tune a BERT/DistilBERT directory (config.json, model.safetensors,
                       vocab.txt); its size and vocabulary replace --dim ... and the learned vocabulary
  --dim N              embedding width (default ${DEFAULT_RUN.encoder.dim})
  --layers N --heads N --ffn N   transformer size (default ${DEFAULT_RUN.encoder.layers}/${DEFAULT_RUN.encoder.heads}/${DEFAULT_RUN.encoder.ffn})
  --max-len N          tokens per text (default ${DEFAULT_RUN.maxLen})
  --seed N             seed of every random choice (default 0)
  --beta X             fusion weight β of β·clf + (1 − β)·emb when --val-fraction is 0 (default 0.5)
  --val-fraction X     hold this share of the training documents out of M1 and M2 and
                       choose β on them (0, 0.1, ..., 1 by P@1; default ${DEFAULT_RUN.valFraction}; 0: use --beta)
  --device auto|cpu|webgpu   (default auto: WebGPU when an adapter exists)
  --out DIR            run directory (default runs/<sampler>)
  --resume             continue M1 from the checkpoint in --out (data, tokenizer and encoder
                       settings must match the saved run; epochs, learning rate, sampler may change;
                       the dataset is compared by content: if it moved, give --data at its new place)
  --force              replace the run in --out with a new one (its files are removed only once
                       the new configuration and data have been checked)
  --quiet              no progress output
  --baselines          also print the TF-IDF baselines on the same test set
  --json               print the final metrics as JSON

settings (--set KEY=VALUE: the keys of a --config file, dotted; a list of numbers is
comma-separated, e.g. curriculum.doubleAt=10,15; here with their defaults):
${settingsHelp()}

examples:
  ngame train
  ngame train --sampler random --epochs 6 --out runs/random
  ngame train --data ~/xc/DebianDeps-42K-cap1000 --config big.json --out runs/debian
  ngame train --out runs/ngame --resume
  ngame train --val-fraction 0.05 --out runs/ngame-val
  ngame train --sampler mips-uniform --index ivf --out runs/mips-ivf
  ngame train --set m1.tau=0.1 --set curriculum.maxSize=32 --set curriculum.doubleAt=10,15 --out runs/tau
  ngame train --pretrained ~/models/msmarco-distilbert-base-v4 --loss triplet --lr 2e-5 --out runs/ft`;

type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** The configuration a command line describes: DEFAULT_RUN < --config FILE < --set KEY=VALUE < flags. */
export function buildConfig(values: FlagValues): RunConfig {
  let cfg = DEFAULT_RUN;
  requirePath(values.config as string | undefined, '--config', 'file');
  requirePath(values.data as string | undefined, '--data', 'dir');
  requirePath(values.pretrained as string | undefined, '--pretrained', 'dir');
  if (typeof values.config === 'string') {
    let json: unknown;
    try {
      json = readJsonFile(values.config); // a UTF-8 byte-order mark is accepted
    } catch (e) {
      throw new UsageError(`--config ${values.config}: ${(e as Error).message}`);
    }
    try {
      cfg = mergeConfig(cfg, json, values.config);
    } catch (e) {
      throw new UsageError((e as Error).message); // the config file is part of the command line
    }
  }
  // --set: keys and types are checked here (unknown key, wrong type), values with the flags below,
  // since a flag may complete them (--set m1.loss=bce-own --sampler ance).
  let setKeys: string[] = [];
  if (Array.isArray(values.set) && values.set.length > 0) {
    try {
      const sets = parseSettings(values.set);
      setKeys = sets.keys;
      cfg = overlayConfig(cfg, sets.over, '--set');
    } catch (e) {
      const msg = (e as Error).message;
      throw new UsageError(/unknown key/.test(msg) ? `${msg}; 'ngame train --help' lists the keys` : msg, false);
    }
    for (const key of ['data', 'pretrained'] as const) {
      if (setKeys.includes(key) && cfg[key] !== null) requirePath(cfg[key]!, `--set ${key}:`, 'dir');
    }
  }
  const num = (flag: string): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${v}"`);
    return n;
  };
  const over: Record<string, unknown> = {};
  const m1: Record<string, unknown> = {};
  const m2: Record<string, unknown> = {};
  const enc: Record<string, unknown> = {};
  if (typeof values.data === 'string') over.data = values.data;
  if (typeof values.pretrained === 'string') over.pretrained = values.pretrained;
  if (typeof values.text === 'string') over.text = values.text;
  if (typeof values.sampler === 'string') over.sampler = values.sampler;
  if (typeof values.device === 'string') over.device = values.device;
  if (typeof values.loss === 'string') m1.loss = values.loss;
  if (typeof values.encoder === 'string') {
    if (values.encoder !== 'bag' && values.encoder !== 'transformer') throw new UsageError(`--encoder must be bag or transformer, got "${values.encoder}"`);
    enc.kind = values.encoder;
  }
  const ngrams = num('ngrams');
  if (ngrams !== undefined) over.features = { ngrams };
  if (typeof values.index === 'string') over.mining = { index: values.index };
  if (typeof values.search === 'string') over.search = values.search;
  const set = (o: Record<string, unknown>, key: string, flag: string) => {
    const v = num(flag);
    if (v !== undefined) o[key] = v;
  };
  set(m1, 'epochs', 'epochs'); set(m1, 'batchSize', 'batch-size'); set(m1, 'lr', 'lr');
  set(m2, 'epochs', 'm2-epochs');
  set(enc, 'dim', 'dim'); set(enc, 'layers', 'layers'); set(enc, 'heads', 'heads'); set(enc, 'ffn', 'ffn');
  set(over, 'maxLen', 'max-len'); set(over, 'seed', 'seed');
  set(over, 'beta', 'beta'); set(over, 'valFraction', 'val-fraction');
  if (Object.keys(m1).length) over.m1 = m1;
  if (Object.keys(m2).length) over.m2 = m2;
  if (Object.keys(enc).length) over.encoder = enc;
  try {
    return mergeConfig(cfg, over, 'flags');
  } catch (e) {
    const msg = nameFlag((e as Error).message, values, setKeys);
    throw new UsageError(msg, !msg.startsWith('--set')); // the help is for flags; --help lists the keys
  }
}

/** The flag behind each config key a flag sets, so that errors say which flag is wrong. */
const FLAG_OF: Record<string, string> = {
  'm1.epochs': 'epochs', 'm1.batchSize': 'batch-size', 'm1.lr': 'lr', 'm1.loss': 'loss', 'm2.epochs': 'm2-epochs',
  'encoder.dim': 'dim', 'encoder.layers': 'layers', 'encoder.heads': 'heads', 'encoder.ffn': 'ffn', 'encoder.kind': 'encoder',
  maxLen: 'max-len', seed: 'seed', beta: 'beta', valFraction: 'val-fraction', sampler: 'sampler', device: 'device', text: 'text',
  'mining.index': 'index', search: 'search', 'features.ngrams': 'ngrams', pretrained: 'pretrained', data: 'data',
};

/**
 * "flags: m1.epochs must be ..." → "--epochs: m1.epochs must be ..." when that flag was given, or
 * "--set: m1.epochs must be ..." when the key was set by --set.
 */
function nameFlag(msg: string, values: FlagValues, setKeys: string[]): string {
  const m = /^flags: "?([\w.]+)"? /.exec(msg);
  const flag = m ? FLAG_OF[m[1]] : undefined;
  if (flag && values[flag] !== undefined) return `--${flag}: ${msg.slice('flags: '.length)}`;
  return m && setKeys.includes(m[1]) ? `--set: ${msg.slice('flags: '.length)}` : msg;
}

export const TRAIN_OPTIONS = {
  config: { type: 'string' }, set: { type: 'string', multiple: true }, data: { type: 'string' }, encoder: { type: 'string' }, ngrams: { type: 'string' }, pretrained: { type: 'string' }, text: { type: 'string' }, sampler: { type: 'string' },
  epochs: { type: 'string' }, 'm2-epochs': { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  dim: { type: 'string' }, layers: { type: 'string' }, heads: { type: 'string' }, ffn: { type: 'string' },
  'max-len': { type: 'string' }, seed: { type: 'string' }, beta: { type: 'string' }, 'val-fraction': { type: 'string' }, device: { type: 'string' }, out: { type: 'string' },
  resume: { type: 'boolean' }, force: { type: 'boolean' }, loss: { type: 'string' }, index: { type: 'string' }, search: { type: 'string' }, quiet: { type: 'boolean' }, baselines: { type: 'boolean' }, json: { type: 'boolean' },
} as const;

export function parseFlags(argv: string[]) {
  return parseCli(argv, TRAIN_OPTIONS).values;
}

export const trainCommand: Command = {
  path: ['train'],
  summary: 'train NGAME (M1 + M2) and evaluate it',
  help,
  async run(argv) {
    const values = parseFlags(argv);
    const cfg = buildConfig(values);
    const out = (values.out as string | undefined) ?? `runs/${cfg.sampler}`;
    const dirOpts = { resume: values.resume === true, force: values.force === true };
    const conflict = runDirConflict(out, dirOpts);
    if (conflict) throw new UsageError(conflict, false);
    const stop = stopOnSignals(consoleReporter(values.quiet === true));
    try {
      const r = await runTraining(cfg, out, stop.reporter, dirOpts);
      if (values.json) {
        console.log(JSON.stringify({ m1: r.m1, m2: r.m2, fused: r.fused, device: r.device, seconds: r.seconds, peakRssBytes: r.peakRssBytes }));
      } else {
        const rows: { name: string; metrics: Metrics }[] = [];
        if (values.baselines) rows.push(...(await baselineRows(cfg)));
        rows.push({ name: `NGAME M1 (${cfg.sampler})`, metrics: r.m1 });
        if (r.m2) rows.push({ name: 'NGAME M2 classifiers', metrics: r.m2 });
        if (r.fused) rows.push({ name: `NGAME M1+M2 fused (β=${r.beta}${cfg.valFraction > 0 ? ', from validation' : ''})`, metrics: r.fused });
        console.log(formatComparisonTable(rows));
        console.log(`\n${r.device}; ${r.seconds.total.toFixed(0)} s; peak RSS ${formatBytes(r.peakRssBytes)}. Run directory: ${out}`);
      }
      return 0;
    } catch (e) {
      // Stopped before the first checkpoint: there is nothing to --resume; say what to do instead.
      const st = e instanceof Interrupted ? runDirState(out) : null;
      if (st?.kind === 'started') throw new Interrupted((e as Interrupted).signal, runDirAdvice(out, st));
      if (e instanceof RunDirUnavailable) throw new UsageError(e.message, false); // taken between the check above and the lock
      throw e;
    } finally {
      stop.dispose();
      await closeGpu();
    }
  },
};

/** The classical baselines on the run's test set (or a fixed sample of it, said in the row names), as table rows. */
async function baselineRows(cfg: RunConfig): Promise<{ name: string; metrics: Metrics }[]> {
  const data = await loadDataset(cfg.data ?? undefined, { text: cfg.text });
  const b = baselineMetrics(data, cfg.seed);
  const on = b.scored < b.of ? ` [${b.scored} of ${b.of} test docs, seed ${cfg.seed}]` : '';
  return b.rows.map((r) => ({ name: r.name + on, metrics: r.metrics }));
}
