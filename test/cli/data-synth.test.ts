// `ngame data synth`: a small shape end to end, and every kind of bad input (exit code 2, the
// message naming the flag, nothing written).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ngame } from '../helpers/cli';
import { synthShapeFromFlags } from '../../src/cli/commands/data-synth';
import { UsageError } from '../../src/cli/command';

const dir = mkdtempSync(join(tmpdir(), 'ngame-synth-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SIZES = ['--train-docs', '300', '--test-docs', '100', '--labels', '200', '--labels-per-doc', '2'];

describe('ngame data synth', () => {
  it('writes a dataset that data stats reads; a second run into it is refused without --force', async () => {
    const out = join(dir, 'small');
    const r = await ngame(['data', 'synth', ...SIZES, '--seed', '3', '--out', out, '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/300 train and 100 test documents, 200 labels/);
    const s = await ngame(['data', 'stats', out, '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ trainDocs: 300, testDocs: 100, labels: 200 });

    const before = readFileSync(join(out, 'trn_X.txt'));
    const again = await ngame(['data', 'synth', ...SIZES, '--seed', '4', '--out', out, '--quiet']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a dataset .*--force/);
    expect(readFileSync(join(out, 'trn_X.txt'))).toEqual(before);
    const forced = await ngame(['data', 'synth', ...SIZES, '--seed', '4', '--out', out, '--quiet', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(out, 'trn_X.txt'))).not.toEqual(before);
  });

  it('refuses an unknown --shape naming the choices, and bad sizes naming the flag, before writing', async () => {
    const out = join(dir, 'never');
    const unknown = await ngame(['data', 'synth', '--shape', 'lf-amazontitles-3m', '--out', out]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--shape must be one of lf-amazontitles-131k \| lf-amazontitles-1\.3m, got "lf-amazontitles-3m"/);
    const bad = await ngame(['data', 'synth', ...SIZES.slice(0, 4), '--labels', '1', '--labels-per-doc', '1', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--labels must be an integer >= 2, got 1/);
    expect(existsSync(out)).toBe(false);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const notDir = await ngame(['data', 'synth', ...SIZES, '--out', file]);
    expect(notDir.code).toBe(2);
    expect(notDir.err).toMatch(/is not a directory/);
  });

  it('reads the sizes from --shape or from all four size flags, never a mix', () => {
    expect(synthShapeFromFlags({ shape: 'LF-AmazonTitles-131K' })).toMatchObject({ name: 'lf-amazontitles-131k', shape: { labels: 131_073 } });
    expect(synthShapeFromFlags({ shape: 'lf-amazontitles-1.3m', vocab: '50000' }).shape).toMatchObject({ labels: 1_305_265, vocab: 50_000 });
    expect(synthShapeFromFlags({ 'train-docs': '10', 'test-docs': '5', labels: '20', 'labels-per-doc': '1.5' })).toEqual({ name: null, shape: { trainDocs: 10, testDocs: 5, labels: 20, labelsPerDoc: 1.5, vocab: 0 } });
    expect(() => synthShapeFromFlags({ shape: 'lf-amazontitles-131k', labels: '5' })).toThrow(/drop --labels/);
    expect(() => synthShapeFromFlags({ labels: '5' })).toThrow(/missing: --train-docs, --test-docs, --labels-per-doc/);
    expect(() => synthShapeFromFlags({ 'train-docs': 'many', 'test-docs': '5', labels: '20', 'labels-per-doc': '1' })).toThrow(/--train-docs must be a number, got "many"/);
    expect(() => synthShapeFromFlags({ 'train-docs': '10', 'test-docs': '5', labels: '20', 'labels-per-doc': '11' })).toThrow(UsageError);
  });

  it('refuses --out missing and a stray argument', async () => {
    mkdirSync(join(dir, 'x'), { recursive: true });
    const noOut = await ngame(['data', 'synth', ...SIZES]);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/--out DIR is required/);
    const stray = await ngame(['data', 'synth', ...SIZES, join(dir, 'x')]);
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/unexpected argument/);
  });
});
