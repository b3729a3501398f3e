// The run directory through the CLI (issue 29, items 4-8): one message for a run stopped before
// its first checkpoint whichever command meets it, one training per --out (a lock naming the
// pid, stale locks taken over), datasets checked by content (another dataset refused before any
// work, a moved one accepted with --data), and an --out that cannot be written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ngame, runLog, start, tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';
let data = '';
let cfg = '';
let run = ''; // a finished tiny run on `data`

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-rundir-cli-'));
  data = join(dir, 'data');
  mkdirSync(data);
  writeTinyDataset(data);
  cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify({ ...tinyConfig, data }));
  run = join(dir, 'run');
  const t = await ngame(['train', '--config', cfg, '--out', run, '--quiet']);
  expect(t.code, t.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 1200 && !existsSync(path); i++) await sleep(25);
  expect(existsSync(path), path).toBe(true);
}

// A training whose first M1 epoch takes seconds, the embedded FOLDOC-XRef-8K, on WebGPU: there a
// signal stops it after the current step (the cpu backend finishes the epoch, and its checkpoint).
const slow = (out: string) => ['train', '--device', 'webgpu', '--dim', '16', '--epochs', '3', '--m2-epochs', '0', '--out', out, '--quiet'];

/** The advice for a run stopped before its first checkpoint, as a message holds it. */
const advice = (err: string) => /(\S+ holds a run stopped before its first checkpoint .*)$/m.exec(err)?.[1];

describe('a run stopped before its first checkpoint, and a second training into a busy --out (items 4 and 5)', () => {
  it('SIGTERM, then --resume, a plain train and eval: one message, the same from every command; a second writer is refused naming the pid', async () => {
    const out = join(dir, 'early');
    const a = start(slow(out));
    await waitFor(join(out, 'run.lock')); // taken before the data is read
    const b = await ngame(slow(out));
    expect(b.code).toBe(2);
    expect(b.err).toContain(`${out} is being written by another ngame training (pid ${a.child.pid},`);
    expect(b.err).not.toMatch(/--force/);

    await waitFor(join(out, 'config.json'));
    a.child.kill('SIGTERM');
    const stopped = await a.done;
    expect(stopped.code, stopped.err).toBe(143);
    expect(existsSync(join(out, 'checkpoint', 'latest.json'))).toBe(false);
    expect(stopped.err).toMatch(/stopped by SIGTERM: .* holds a run stopped before its first checkpoint \(config\.json\): there is nothing to resume; start it again with --force/);
    expect(stopped.err).not.toMatch(/--resume/);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);

    const said = advice(stopped.err);
    expect(said).toBeDefined();
    const resume = await ngame([...slow(out), '--resume']);
    expect(resume.code).toBe(2);
    expect(resume.err).toContain(`--resume: no checkpoint in ${join(out, 'checkpoint')}: ${said}`);
    const plain = await ngame(slow(out));
    expect(plain.code).toBe(2);
    expect(advice(plain.err)).toBe(said);
    const ev = await ngame(['eval', out, '--device', 'cpu']);
    expect(ev.code).toBe(1);
    expect(ev.err).toContain(`${out} is not a finished run (model.safetensors is missing): ${said}`);
  });

  it('SIGKILL leaves a stale lock: the same advice, and --force takes the lock over, saying whose it was', async () => {
    const out = join(dir, 'killed');
    const a = start(slow(out));
    await waitFor(join(out, 'config.json'));
    a.child.kill('SIGKILL');
    await a.done;
    expect(JSON.parse(readFileSync(join(out, 'run.lock'), 'utf8')).pid).toBe(a.child.pid);
    const plain = await ngame(slow(out));
    expect(plain.code).toBe(2);
    expect(advice(plain.err)).toMatch(/there is nothing to resume; start it again with --force/);
    const forced = await ngame(['train', '--config', cfg, '--out', out, '--force', '--quiet']);
    expect(forced.code, forced.err).toBe(0);
    expect(forced.err).toContain(`warning: ${out}: took over the lock of pid ${a.child.pid}`);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
    expect(runLog(out).at(-1)!.stage).toBe('final');
  });
});

describe('datasets are checked by content (items 6 and 7)', () => {
  it('eval --data with another label set is refused before any work, naming the run and the dataset', async () => {
    const other = join(dir, 'other-labels');
    cpSync(data, other, { recursive: true });
    // 17 labels instead of 16: one more label text, the matrices' headers say so.
    writeFileSync(join(other, 'Y.txt'), readFileSync(join(data, 'Y.txt'), 'utf8') + 'an extra label\n');
    for (const f of ['trn_X_Y.txt', 'tst_X_Y.txt']) {
      const lines = readFileSync(join(data, f), 'utf8').split('\n');
      lines[0] = lines[0].replace(/ 16$/, ' 17');
      writeFileSync(join(other, f), lines.join('\n'));
    }
    const e = await ngame(['eval', run, '--data', other, '--device', 'cpu']);
    expect(e.code).toBe(1);
    expect(e.err).toContain(`${other} is not the dataset ${run} was trained on: it has 17 labels, the run 16 (${join(run, 'manifest.json')})`);
    // The same count, other label texts.
    const renamed = join(dir, 'renamed-labels');
    cpSync(data, renamed, { recursive: true });
    writeFileSync(join(renamed, 'Y.txt'), readFileSync(join(data, 'Y.txt'), 'utf8').replace('compiler parser', 'compiler linker'));
    const r = await ngame(['eval', run, '--data', renamed, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${renamed} is not the dataset ${run} was trained on: its 16 label texts differ from the run's`);
  });

  it('a dataset that moved: --resume --data NEWPATH continues, metrics --run takes --data, eval names the missing path', async () => {
    const before = join(dir, 'ds-before');
    cpSync(data, before, { recursive: true });
    const c = join(dir, 'moving.json');
    writeFileSync(c, JSON.stringify({ ...tinyConfig, data: before, m2: { ...tinyConfig.m2, epochs: 0 } }));
    const out = join(dir, 'moving-run');
    expect((await ngame(['train', '--config', c, '--out', out, '--quiet'])).code).toBe(0);
    const after = join(dir, 'ds-after');
    renameSync(before, after);

    const ev = await ngame(['eval', out, '--device', 'cpu']);
    expect(ev.code).toBe(1);
    expect(ev.err).toContain(`${out} was trained on ${before}, which does not exist (any more): pass --data with the dataset's directory`);
    const scores = join(dir, 'moving-scores.txt');
    const ok = await ngame(['eval', out, '--data', after, '--device', 'cpu', '--json', '--write-scores', scores]);
    expect(ok.code, ok.err).toBe(0);
    const m = await ngame(['metrics', scores, '--run', out, '--data', after, '--json']);
    expect(m.code, m.err).toBe(0);
    expect(JSON.parse(m.out).metrics).toEqual(JSON.parse(ok.out)[0].metrics);

    const resumed = await ngame(['train', '--config', c, '--data', after, '--epochs', '2', '--out', out, '--resume', '--quiet']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(runLog(out).filter((e) => e.stage === 'M1').map((e) => e.epoch)).toEqual([0, 1]);
    // Another dataset, even with the same labels, is not the run's: its training documents differ.
    const changed = join(dir, 'ds-changed');
    cpSync(after, changed, { recursive: true });
    writeFileSync(join(changed, 'trn_X.txt'), readFileSync(join(after, 'trn_X.txt'), 'utf8').replace('item 0\n', 'item zero\n'));
    const refused = await ngame(['train', '--config', c, '--data', changed, '--epochs', '3', '--out', out, '--resume', '--quiet']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${changed} is not the dataset ${out} was trained on: its 48 training documents or their labels differ from the run's`);
  });
});

describe('an --out that cannot be written (item 8)', () => {
  it('says which location is not writable, before loading anything, and leaves nothing behind', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(join(ro, 'existing'), { recursive: true });
    // Root writes through permission bits: make the directories immutable instead.
    const lock = (on: boolean) => {
      for (const d of [join(ro, 'existing'), ro]) {
        if (process.getuid?.() === 0) execFileSync('chattr', [on ? '+i' : '-i', d]);
        else chmodSync(d, on ? 0o555 : 0o755);
      }
    };
    lock(true);
    try {
      const fresh = await ngame(['train', '--config', cfg, '--out', join(ro, 'new-run'), '--quiet']);
      expect(fresh.code).toBe(2);
      expect(fresh.err).toMatch(new RegExp(`cannot create ${join(ro, 'new-run')}: ${ro} is not writable \\((EACCES|EPERM|EROFS)\\)`));
      const existing = await ngame(['train', '--config', cfg, '--out', join(ro, 'existing'), '--quiet']);
      expect(existing.code).toBe(2);
      expect(existing.err).toMatch(new RegExp(`${join(ro, 'existing')} is not writable \\((EACCES|EPERM|EROFS)\\)`));
    } finally {
      lock(false);
    }
    expect(existsSync(join(ro, 'new-run'))).toBe(false);
  });
});
