// packageDir finds the directory of package.json from the module's own location; running the
// sources that is the repository root, where data/ and assets/ are. (The built package, where
// the module sits in dist/, is checked by test/package.test.ts.)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageDir, packagePath } from '../../src/util/package-dir';

describe('packageDir', () => {
  it('is the repository root when running the sources', () => {
    expect(packageDir()).toBe(resolve(__dirname, '../..'));
    expect(JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')).name).toBe('ngame-ts');
  });

  it('locates the embedded dataset and the bundled vocabulary', () => {
    expect(existsSync(packagePath('data', 'foldoc-xref-8k', 'trn_X.txt.gz'))).toBe(true);
    expect(existsSync(packagePath('assets', 'bert-base-uncased-vocab.txt'))).toBe(true);
  });
});
