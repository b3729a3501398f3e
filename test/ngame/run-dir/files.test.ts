// The run directory's integrity records (src/ngame/run-dir/files.ts): the memory bank's two slots keep
// the bank of the checkpoint on disk readable whenever a save is cut short, and every file a
// reader takes is checked against manifest.json.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPreviousBank, prepareRunDir, readBank, readModel, readRunLabels, runDirConflict, writeBank, writeModel } from '../../../src/ngame/run-dir';

const root = mkdtempSync(join(tmpdir(), 'ngame-rundir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bank = (v: number) => ({ n: 3, dim: 2, data: new Float32Array(6).fill(v) });

describe('memory bank slots', () => {
  it('a crash between the bank and the checkpoint leaves the checkpoint its own bank', () => {
    const dir = join(root, 'bank');
    mkdirSync(dir);
    writeBank(dir, bank(1), 1); // epoch 1 saved (its checkpoint follows)
    dropPreviousBank(dir);
    writeBank(dir, bank(2), 2); // epoch 2's bank written, then a crash before its checkpoint
    expect(readBank(dir, 1)).toEqual(bank(1).data); // the checkpoint on disk (epoch 1) finds its bank
    expect(readBank(dir, 2)).toEqual(bank(2).data);
    // The resumed run trains epoch 2 again and saves it: epoch 1's bank stays until its checkpoint.
    writeBank(dir, bank(2.5), 2);
    expect(readBank(dir, 1)).toEqual(bank(1).data);
    dropPreviousBank(dir);
    expect(readBank(dir, 2)).toEqual(bank(2.5).data);
    expect(() => readBank(dir, 1)).toThrow(/records no memory bank for M1 epoch 1/);
    expect(existsSync(join(dir, 'bank.prev.safetensors'))).toBe(false);
    // Damage and non-finite values are refused.
    const f = join(dir, 'bank.safetensors');
    const b = readFileSync(f);
    b[b.length - 1] ^= 1;
    writeFileSync(f, b);
    expect(() => readBank(dir, 2)).toThrow(/bank\.safetensors is corrupted/);
    expect(() => writeBank(dir, { n: 1, dim: 2, data: new Float32Array([0, Infinity]) }, 3)).toThrow(/tensor "bank" holds Infinity at row 0, column 1/);
  });
});

describe('model, labels and the directory itself', () => {
  it('records and verifies model.safetensors and labels.jsonl; refuses to replace a run without force', () => {
    const dir = join(root, 'run');
    expect(runDirConflict(dir, {})).toBeNull();
    prepareRunDir(dir, {}, ['a label', 'with\nnewline', '']);
    expect(readRunLabels(dir)).toEqual(['a label', 'with\nnewline', '']);
    writeModel(dir, { labelEmbeddings: { dtype: 'F32', shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) } }, { beta: '0.5' });
    expect(readModel(dir).tensors.labelEmbeddings.data).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(() => writeModel(dir, { classifiers: { dtype: 'F32', shape: [1, 2], data: new Float32Array([NaN, 0]) } }, {})).toThrow(/tensor "classifiers" holds NaN at row 0, column 0/);
    writeFileSync(join(dir, 'labels.jsonl'), '"a label"\n"with\\nnewline"\n"x"\n');
    expect(() => readRunLabels(dir)).toThrow(/labels\.jsonl is 30 bytes but .*manifest\.json records 29/);
    writeFileSync(join(dir, 'metrics.json'), '{}');
    expect(runDirConflict(dir, {})).toMatch(/holds a finished run .*--force/);
    expect(runDirConflict(dir, { force: true })).toBeNull();
    prepareRunDir(dir, { force: true }, ['new']);
    expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
    expect(readRunLabels(dir)).toEqual(['new']);
  });
});
