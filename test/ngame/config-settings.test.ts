// --set's reading of `key=value` by the type of DEFAULT_RUN's value at that key: every key of the
// configuration is listed once, values become numbers, lists, strings or null as the default is,
// and a value of another type reaches overlayConfig as it was written, for its error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { configLeaves, formatSetting, parseSettings } from '../../src/ngame/config-settings';
import { DEFAULT_RUN, overlayConfig, mergeConfig } from '../../src/ngame/run-config';

describe('configLeaves', () => {
  it('lists every leaf of DEFAULT_RUN once, with its default, and rebuilds it', () => {
    const leaves = configLeaves();
    expect(new Set(leaves.map((l) => l.key)).size).toBe(leaves.length);
    expect(leaves.map((l) => l.key)).toContain('m1.tau');
    expect(leaves.map((l) => l.key)).toContain('curriculum.doubleAt');
    expect(leaves.find((l) => l.key === 'm2.shortlist')!.value).toBe(DEFAULT_RUN.m2.shortlist);
    // Setting every key to its own default (as --help prints it) gives DEFAULT_RUN back.
    const { over, keys } = parseSettings(leaves.map((l) => `${l.key}=${formatSetting(l.value)}`));
    expect(keys).toEqual(leaves.map((l) => l.key));
    expect(mergeConfig(DEFAULT_RUN, over, '--set')).toEqual(DEFAULT_RUN);
  });
});

describe('parseSettings', () => {
  it('reads values by the default they replace', () => {
    const { over } = parseSettings(['m1.tau=0.1', 'curriculum.doubleAt=10,15', 'm2.loss=triplet', 'data=/x', 'pretrained=null', 'seed= 3 ', 'curriculum.maxSize=1e2']);
    expect(over).toEqual({ m1: { tau: 0.1 }, curriculum: { doubleAt: [10, 15], maxSize: 100 }, m2: { loss: 'triplet' }, data: '/x', pretrained: null, seed: 3 });
    expect(parseSettings(['curriculum.doubleAt=']).over).toEqual({ curriculum: { doubleAt: [] } });
    // A value may hold '=' (only the first one splits); the last of two settings of a key wins.
    expect(parseSettings(['data=/a=b', 'data=/c']).over).toEqual({ data: '/c' });
  });

  it('any finite number round-trips through its string form', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(parseSettings([`m1.tau=${x}`]).over).toEqual({ m1: { tau: x === 0 ? 0 : x } }); // "-0" is written "0"
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('a value of the wrong type reaches overlayConfig unchanged and gets its error', () => {
    const bad: [string, RegExp][] = [
      ['m1.tau=abc', /--set: "m1\.tau" must be a number, got "abc"/],
      ['m1.tau=Infinity', /"m1\.tau" must be a number, got "Infinity"/],
      ['m1.epochs=', /"m1\.epochs" must be a number, got ""/],
      ['curriculum.doubleAt=10,x', /"curriculum\.doubleAt" must be an array of numbers/],
    ];
    for (const [s, re] of bad) expect(() => overlayConfig(DEFAULT_RUN, parseSettings([s]).over, '--set'), s).toThrow(re);
  });

  it('refuses a setting without "=", an unknown key and a group, naming them', () => {
    expect(() => parseSettings(['m1.tau'])).toThrow(/--set "m1\.tau": expected KEY=VALUE/);
    expect(() => parseSettings(['=3'])).toThrow(/--set "=3": expected KEY=VALUE/);
    expect(() => parseSettings(['m1.foo=1'])).toThrow(/--set: unknown key "m1\.foo"/);
    expect(() => parseSettings(['m1.tau.x=1'])).toThrow(/unknown key "m1\.tau\.x"/);
    expect(() => parseSettings(['constructor=1'])).toThrow(/unknown key "constructor"/);
    expect(() => parseSettings(['__proto__.x=1'])).toThrow(/unknown key "__proto__\.x"/);
    expect(() => parseSettings(['m1=3'])).toThrow(/"m1" is a group of settings; set one of them: m1\.epochs, .*m1\.tau/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('overlayConfig', () => {
  it('checks keys and types but not values, which mergeConfig checks', () => {
    const c = overlayConfig(DEFAULT_RUN, { m1: { loss: 'bce-own' } }, '--set');
    expect(c.m1.loss).toBe('bce-own');
    expect(() => mergeConfig(DEFAULT_RUN, { m1: { loss: 'bce-own' } }, 'x')).toThrow(/x: m1\.loss bce-own needs a sampler/);
    expect(mergeConfig(c, { sampler: 'ance' }, 'flags').m1.loss).toBe('bce-own');
    expect(() => mergeConfig(DEFAULT_RUN, { constructor: 1 }, 'cfg.json')).toThrow(/cfg\.json: unknown key "constructor"/);
  });
});
