// Settings on the command line: `--set key=value` with a dotted key of the RunConfig
// (m1.tau=0.1, curriculum.doubleAt=10,15). The keys and their types are DEFAULT_RUN's: no second
// list. A value is read by the type of the default it replaces (a number, a comma-separated list
// of numbers, a string, or a string-or-null), and the object built from the settings goes through
// the same overlayConfig / checkConfig as a --config file, so it gets the same errors.

import { DEFAULT_RUN, type RunConfig } from './run-config';

/** One leaf of the configuration: its dotted key and its default value. */
export interface ConfigLeaf {
  key: string;
  value: number | string | null | number[];
}

type Json = Record<string, unknown>;

const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Every settable key of `c` (default DEFAULT_RUN), depth first in declaration order. */
export function configLeaves(c: RunConfig = DEFAULT_RUN): ConfigLeaf[] {
  const out: ConfigLeaf[] = [];
  const walk = (o: Json, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (isObj(v)) walk(v, `${prefix}${k}.`);
      else out.push({ key: `${prefix}${k}`, value: v as ConfigLeaf['value'] });
    }
  };
  walk(c as unknown as Json, '');
  return out;
}

/** A default as --set spells it: lists comma-separated, null as "null". */
export function formatSetting(v: ConfigLeaf['value']): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The value at a dotted key of DEFAULT_RUN, or undefined when no such key exists. */
function defaultAt(key: string): unknown {
  let o: unknown = DEFAULT_RUN;
  for (const k of key.split('.')) {
    if (!isObj(o) || !Object.hasOwn(o, k)) return undefined;
    o = o[k];
  }
  return o;
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

/**
 * The string `raw` as the type of `def`. A string that does not read as that type is returned
 * as it is, so that overlayConfig rejects it with the message a config file gets
 * ('"m1.tau" must be a number, got "abc"').
 */
function coerce(def: unknown, raw: string): unknown {
  if (typeof def === 'number') return NUMBER.test(raw) ? Number(raw) : raw;
  if (Array.isArray(def)) {
    if (raw.trim() === '') return [];
    const parts = raw.split(',');
    return parts.every((p) => NUMBER.test(p)) ? parts.map(Number) : parts;
  }
  if (def === null) return raw === 'null' ? null : raw;
  return raw;
}

export interface Settings {
  /** A nested object of the settings, for overlayConfig. */
  over: Json;
  /** The dotted keys set, in order (a key set twice: its last value wins). */
  keys: string[];
}

/**
 * Reads `key=value` strings into a nested override. Throws (naming the setting) when one has no
 * '=' or an empty key, names no key of the configuration (as overlayConfig words it), or names a
 * group of keys (m1) rather than one; a value of the wrong type is left for overlayConfig to reject.
 */
export function parseSettings(sets: readonly string[], where = '--set'): Settings {
  const over: Json = {};
  const keys: string[] = [];
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`${where} "${s}": expected KEY=VALUE with a dotted key of the run configuration, e.g. ${where} m1.tau=0.1`);
    const key = s.slice(0, eq).trim();
    const raw = s.slice(eq + 1);
    const def = defaultAt(key);
    if (def === undefined) throw new Error(`${where}: unknown key "${key}"`);
    if (isObj(def)) {
      const inside = configLeaves().filter((l) => l.key.startsWith(`${key}.`)).map((l) => l.key);
      throw new Error(`${where} ${s}: "${key}" is a group of settings; set one of them: ${inside.join(', ')}`);
    }
    const path = key.split('.');
    let o = over;
    for (const k of path.slice(0, -1)) { // every k is a key of DEFAULT_RUN's (checked above)
      if (!isObj(o[k])) o[k] = {};
      o = o[k] as Json;
    }
    o[path[path.length - 1]] = coerce(def, raw);
    keys.push(key);
  }
  return { over, keys };
}
