// `--set key=value` on train and compare: the precedence --config < --set < flags, runs that
// record what was set, `train --help` listing every key with its default, and bad settings
// refused with exit code 2 naming the key and the type it needs, before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, parseFlags } from '../../src/cli/commands/train';
import { UsageError } from '../../src/cli/command';
import { configLeaves, formatSetting } from '../../src/ngame/config-settings';
import { ngame, tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-set-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify({ ...tinyConfig, data: join(dir, 'data') }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (run: string) => JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));

describe('--set', () => {
  it('overrides --config and is overridden by a flag, whatever the order on the line', () => {
    const tiny = join(dir, 'tiny.json');
    const cfg = buildConfig(parseFlags(['--set', 'm1.lr=0.01', '--config', tiny, '--set', 'm1.tau=0.1', '--lr', '0.02', '--set', 'm1.batchSize=4', '--set', 'curriculum.doubleAt=10,15']));
    expect(cfg.m1.tau).toBe(0.1); // --set over the default
    expect(cfg.m1.batchSize).toBe(4); // --set over the config file's 8
    expect(cfg.m1.lr).toBe(0.02); // the flag over --set
    expect(cfg.m1.epochs).toBe(tinyConfig.m1.epochs); // the config file over the default
    expect(cfg.curriculum.doubleAt).toEqual([10, 15]);
    // A flag may complete what --set leaves invalid on its own.
    expect(buildConfig(parseFlags(['--set', 'm1.loss=bce-own', '--sampler', 'ance'])).m1.loss).toBe('bce-own');
  });

  it('train records the settings in the run; compare applies them to every run', async () => {
    const run = join(dir, 'run');
    const t = await ngame(['train', '--config', join(dir, 'tiny.json'), '--set', 'm1.tau=0.1', '--set=m2.shortlist=3', '--set', 'curriculum.doubleAt=1', '--out', run, '--quiet']);
    expect(t.code, t.err).toBe(0);
    const c = config(run);
    expect([c.m1.tau, c.m2.shortlist, c.curriculum.doubleAt]).toEqual([0.1, 3, [1]]);

    const cmp = join(dir, 'cmp');
    const r = await ngame(['compare', '--config', join(dir, 'tiny.json'), '--samplers', 'random,ngame', '--set', 'm2.epochs=0', '--set', 'm1.tau=0.2', '--out', cmp, '--quiet']);
    expect(r.code, r.err).toBe(0);
    for (const s of ['random', 'ngame']) expect([config(join(cmp, s)).m1.tau, config(join(cmp, s)).m2.epochs]).toEqual([0.2, 0]);
  });

  it('train --help lists every key with its default', async () => {
    const h = await ngame(['train', '--help']);
    expect(h.code).toBe(0);
    const block = h.out.slice(h.out.indexOf('settings ('));
    for (const { key, value } of configLeaves()) expect(block).toContain(` ${key}=${formatSetting(value)}`);
  });

  it('an unknown key, a wrong type, a group or no "=" is a usage error naming the key and what it needs', () => {
    const bad: [string[], RegExp][] = [
      [['--set', 'm1.tau=fast'], /^--set: "m1\.tau" must be a number, got "fast"$/],
      [['--set', 'curriculum.doubleAt=10,later'], /^--set: "curriculum\.doubleAt" must be an array of numbers$/],
      [['--set', 'curriculum=3'], /"curriculum" is a group of settings; set one of them: curriculum\.warmupEpochs/],
      [['--set', 'm1.tau=-1'], /^--set: m1\.tau must be positive, got -1$/],
      [['--set', 'm2.loss=hinge'], /^--set: m2\.loss must be softmax, pool-softmax or triplet, got "hinge"$/],
      [['--set', `data=${join(dir, 'nope')}`], /^--set data: .*nope is not a directory/],
    ];
    for (const [args, re] of bad) {
      let err: unknown = null;
      try {
        buildConfig(parseFlags(args));
      } catch (e) {
        err = e;
      }
      expect(err, args.join(' ')).toBeInstanceOf(UsageError);
      expect((err as Error).message, args.join(' ')).toMatch(re);
    }
  });

  it('train and compare exit 2 on a bad setting, before anything is written', async () => {
    const out = join(dir, 'bad');
    const bad: [string[], RegExp][] = [
      [['train', '--set', 'm1.taux=0.1'], /--set: unknown key "m1\.taux"; 'ngame train --help' lists the keys/],
      [['train', '--set', 'm1.tau'], /--set "m1\.tau": expected KEY=VALUE/],
      [['compare', '--samplers', 'random', '--set', 'mining.nlist=many'], /--set: "mining\.nlist" must be a number, got "many"/],
    ];
    for (const [args, re] of bad) {
      const r = await ngame([...args, '--out', out, '--quiet']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(re);
    }
    expect(existsSync(out)).toBe(false);
  });
});
