// Train NGAME on your own data and use the trained model, through the package's public API.
//
// DATA_DIR is a dataset directory in the Extreme Classification Repository's LF JSON-lines
// layout (trn.json.gz, tst.json.gz, lbl.json.gz: one {"uid", "title", "content", "target_ind"}
// object per line) or its text layout (trn_X.txt, trn_X_Y.txt, ..., Y.txt); see docs/data.md.
//
//   npx tsx examples/train-own-data.ts DATA_DIR OUT_DIR [EPOCHS] ["a text to tag"]
//
// It trains M1 and M2 with the default configuration except the epochs (and the cpu backend, so
// that the result does not depend on which GPU is present), prints the test metrics, then reopens
// the run directory and prints the top 3 labels of a new text.
import { DEFAULT_RUN, embedCorpus, featurize, mergeConfig, metricValue, openBackend, openRun, readRunLabels, runTraining, scoreDocuments } from 'ngame-ts';

const [dataDir, outDir, epochs = '2', text = 'a compiler translates source code into machine code'] = process.argv.slice(2);
if (!dataDir || !outDir) {
  console.error('usage: train-own-data.ts DATA_DIR OUT_DIR [EPOCHS] ["a text to tag"]');
  process.exit(2);
}

// Any RunConfig field can be set this way (the same fields as `ngame train --config FILE`).
const config = mergeConfig(DEFAULT_RUN, {
  data: dataDir, device: 'cpu', seed: 0,
  m1: { epochs: Number(epochs) }, m2: { epochs: 1 },
  curriculum: { warmupEpochs: 1, doubleAt: [] },
});
// force: replace a run already in OUT_DIR (runTraining refuses one otherwise).
const result = await runTraining(config, outDir, { info: (line) => console.log(line), progress: () => {} }, { force: true });
const best = result.fused ?? result.m1;
console.log(`test P@1 ${metricValue(best, 'P@1')?.toFixed(2)}  P@5 ${metricValue(best, 'P@5')?.toFixed(2)}  (β = ${result.beta}, ${result.device})`);

// The run directory holds all that predicting needs: configuration, featurizer, encoder, classifiers.
const backend = await openBackend('cpu');
const run = openRun(outDir, backend);
const query = await embedCorpus(run.encoder, featurize(run.featurizer, [text]));
const scores = (await scoreDocuments(backend, query, run.labelEmb, run.classifiers, run.dim, 3, run.beta)).fused;
// Row 0 of the (1 × labels) score matrix; CSR rows are sorted by label id, so sort by score.
const row = Array.from(scores.indices.subarray(scores.indptr[0], scores.indptr[1]), (label, i) => ({ label, score: scores.values[scores.indptr[0] + i] }));
row.sort((a, b) => b.score - a.score);
const names = readRunLabels(outDir) ?? [];
console.log(`"${text}" → ${row.map((r) => (names[r.label] ?? `label ${r.label}`).slice(0, 60)).join(' | ')}`);
