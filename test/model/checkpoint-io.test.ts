// Checkpoint directories: bit-exact round trip, clear errors for damaged files, and crash safety
// (failures injected between the save steps, and a real child process killed with SIGKILL).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint, type SaveStep } from '../../src/model/checkpoint-io';
import { Tokenizer } from '../../src/model/tokenizer';
import { Rng } from '../../src/util/rng';

const root = mkdtempSync(join(tmpdir(), 'ngame-ckpt-'));
let counter = 0;
const freshDir = () => join(root, `c${counter++}`);

/** A small checkpoint whose every number depends on `step`. */
function makeCheckpoint(step: number): Checkpoint {
  const f32bits = new Uint32Array([0x7fc00001, 0x80000000, 0x00000001, step]);
  const f64bits = new BigUint64Array([0x7ff0000000000001n, 0x8000000000000000n, 0x1n, BigInt(step)]);
  return {
    tensors: {
      'encoder.w': { dtype: 'F32', shape: [2, 2], data: new Float32Array(f32bits.buffer) },
      'opt.m.encoder.w': { dtype: 'F64', shape: [4], data: new Float64Array(f64bits.buffer) },
      'opt.v.encoder.w': { dtype: 'F32', shape: [2, 2], data: new Float32Array([step, step, step, step]) },
      ids: { dtype: 'I32', shape: [2], data: new Int32Array([step, -step]) },
    },
    state: {
      step,
      epoch: 3,
      rng: new Rng(step).getState(),
      config: { dim: 16, layers: 1, name: 'tiny' },
      tokenizer: Tokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a']).toJSON(),
      optimizer: { lr: 1e-3, beta1: 0.9, t: step },
    },
  };
}

const bits = (a: ArrayBufferView) => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

function expectSame(loaded: ReturnType<typeof loadCheckpoint>, expected: Checkpoint): void {
  expect(Object.keys(loaded.tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
  for (const [name, t] of Object.entries(expected.tensors)) {
    expect(loaded.tensors[name].dtype).toBe(t.dtype);
    expect(loaded.tensors[name].shape).toEqual(t.shape);
    expect(bits(loaded.tensors[name].data)).toEqual(bits(t.data));
  }
  expect(loaded.state).toEqual(expected.state);
}

describe('round trip', () => {
  it('is bit-exact (NaN payloads, -0, denormals) and restores the state JSON', () => {
    const dir = freshDir();
    expect(hasCheckpoint(dir)).toBe(false);
    const saved = makeCheckpoint(7);
    expect(saveCheckpoint(dir, saved).generation).toBe(1);
    expect(hasCheckpoint(dir)).toBe(true);
    const loaded = loadCheckpoint(dir);
    expectSame(loaded, saved);
    expect(loaded.generation).toBe(1);
    // The tokenizer and RNG come back usable.
    expect(Tokenizer.fromJSON(loaded.state.tokenizer).tokenize('a a')).toEqual(['a', 'a']);
    const rng = new Rng(0);
    rng.setState(loaded.state.rng as [number, number, number, number]);
    expect(rng.nextU32()).toBe(new Rng(7).nextU32());
  });

  it('keeps the newest `keep` generations and removes older files', () => {
    const dir = freshDir();
    for (let s = 1; s <= 4; s++) saveCheckpoint(dir, makeCheckpoint(s), { keep: 2 });
    expect(readdirSync(dir).sort()).toEqual([
      'latest.json',
      'model-000003.safetensors',
      'model-000004.safetensors',
      'state-000003.json',
      'state-000004.json',
    ]);
    expectSame(loadCheckpoint(dir), makeCheckpoint(4));
    saveCheckpoint(dir, makeCheckpoint(5));
    expect(readdirSync(dir).sort()).toEqual(['latest.json', 'model-000005.safetensors', 'state-000005.json']);
    // An interrupted save (model written, no state) does not count as one of the kept generations.
    const crash = (step: SaveStep) => {
      if (step === 'model') throw new Error('crash');
    };
    expect(() => saveCheckpoint(dir, makeCheckpoint(6), { afterStep: crash })).toThrow('crash');
    saveCheckpoint(dir, makeCheckpoint(7), { keep: 2 });
    expect(readdirSync(dir).sort()).toEqual([
      'latest.json',
      'model-000005.safetensors',
      'model-000007.safetensors',
      'state-000005.json',
      'state-000007.json',
    ]);
  });

  it('refuses state JSON cannot hold, before touching the disk', () => {
    const dir = freshDir();
    const bad = (state: Record<string, unknown>) => () => saveCheckpoint(dir, { tensors: {}, state });
    expect(bad({ optimizer: { lr: NaN } })).toThrow('saveCheckpoint: state.optimizer.lr is NaN, which JSON cannot hold');
    expect(bad({ moments: new Float32Array(2) })).toThrow(/state.moments is a typed array; store it in tensors/);
    expect(bad({ a: [1, undefined] })).toThrow(/state.a\[1\] is undefined/);
    expect(bad({ tok: Tokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]']) })).toThrow(/state.tok is a Tokenizer, not plain JSON/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('damaged checkpoints give clear errors', () => {
  const setup = () => {
    const dir = freshDir();
    saveCheckpoint(dir, makeCheckpoint(1));
    return dir;
  };

  it('missing directory or pointer', () => {
    const dir = freshDir();
    expect(() => loadCheckpoint(dir)).toThrow(`loadCheckpoint: no checkpoint in ${dir} (latest.json is missing)`);
  });

  it('truncated model file', () => {
    const dir = setup();
    const model = join(dir, 'model-000001.safetensors');
    truncateSync(model, 30);
    expect(() => loadCheckpoint(dir)).toThrow(new RegExp(`${model} is 30 bytes but the checkpoint recorded \\d+ \\(truncated`));
  });

  it('flipped bit in the model data', () => {
    const dir = setup();
    const model = join(dir, 'model-000001.safetensors');
    const bytes = readFileSync(model);
    bytes[bytes.length - 5] ^= 0x10;
    writeFileSync(model, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(`loadCheckpoint: ${model} is corrupted (sha256 mismatch)`);
  });

  it('edited state file', () => {
    const dir = setup();
    const state = join(dir, 'state-000001.json');
    writeFileSync(state, readFileSync(state, 'utf8').replace('"step":1', '"step":2'));
    expect(() => loadCheckpoint(dir)).toThrow(`loadCheckpoint: ${state} is corrupted (sha256 mismatch)`);
  });

  it('garbage pointer', () => {
    const dir = setup();
    writeFileSync(join(dir, 'latest.json'), '{"format": "something else"}');
    expect(() => loadCheckpoint(dir)).toThrow(/latest.json is not an ngame checkpoint pointer/);
    writeFileSync(join(dir, 'latest.json'), '{"form');
    expect(() => loadCheckpoint(dir)).toThrow(/latest.json: .*JSON/);
  });
});

describe('a crash at any point leaves a loadable checkpoint', () => {
  const steps: SaveStep[] = ['model', 'state', 'pointer', 'cleanup'];
  for (const failAt of steps) {
    it(`failure right after the "${failAt}" step`, () => {
      const dir = freshDir();
      saveCheckpoint(dir, makeCheckpoint(1));
      const afterStep = (s: SaveStep) => {
        if (s === failAt) throw new Error('simulated crash');
      };
      expect(() => saveCheckpoint(dir, makeCheckpoint(2), { afterStep })).toThrow('simulated crash');
      // Until the pointer is replaced the old checkpoint is current; after, the new one is.
      const committed = failAt === 'pointer' || failAt === 'cleanup';
      expectSame(loadCheckpoint(dir), makeCheckpoint(committed ? 2 : 1));
      // Simulate a temporary file left by a kill inside writeFileAtomic, then save again:
      // the next save gets a fresh generation and removes every orphan.
      writeFileSync(join(dir, '.model-000009.safetensors.123.456.tmp'), 'partial');
      expect(saveCheckpoint(dir, makeCheckpoint(3)).generation).toBe(3);
      expectSame(loadCheckpoint(dir), makeCheckpoint(3));
      expect(readdirSync(dir).sort()).toEqual(['latest.json', 'model-000003.safetensors', 'state-000003.json']);
    });
  }

  it('a child process killed with SIGKILL at random moments mid-save', async () => {
    const dir = freshDir();
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const child = fileURLToPath(new URL('./fixtures/checkpoint-writer.ts', import.meta.url));
    const rng = new Rng(42);
    let interrupted = 0;
    let lastConfirmed = 0;
    // At least 6 rounds, and more (up to 30) until one kill has landed inside a save: whether a
    // random kill does depends on how fast this machine writes, so a fixed count was flaky.
    for (let round = 0; round < 30 && (round < 6 || interrupted === 0); round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, '1000000'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stderr.on('data', (d) => (err += d));
      const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
      // Wait for the first completed save of this round, then kill after a random delay.
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve();
        });
        proc.on('exit', () => reject(new Error(`writer exited early: ${err}`)));
      });
      await new Promise((r) => setTimeout(r, rng.int(120)));
      proc.kill('SIGKILL');
      await exited;
      for (const m of out.matchAll(/saved \d+ (\d+)/g)) lastConfirmed = Math.max(lastConfirmed, Number(m[1]));

      // Evidence that the kill landed inside a save: files of a generation newer than the pointer.
      const pointer = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
      if (readdirSync(dir).some((f) => f.endsWith('.tmp') || (/-(\d+)\./.exec(f) && Number(/-(\d+)\./.exec(f)![1]) > pointer.generation))) {
        interrupted++;
      }
      const loaded = loadCheckpoint(dir);
      expect(loaded.generation).toBeGreaterThanOrEqual(lastConfirmed); // a confirmed save is never lost
      const step = loaded.state.step as number;
      expect(loaded.tensors.w.data.every((x) => x === step)).toBe(true);
      expect(loaded.tensors['opt.m.w'].data.every((x) => x === -step)).toBe(true);
    }
    expect(interrupted).toBeGreaterThan(0);
  });
});
