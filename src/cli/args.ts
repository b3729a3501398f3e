// Flag parsing shared by every command: node's parseArgs, with two spellings it refuses made to
// work, and every parse error turned into a UsageError (exit code 2, as for every mistake in the
// command line itself: bad flag values, missing arguments, paths named that do not exist):
//   -k=5          → the value 5 (parseArgs would read "=5")
//   --epochs -1   → the value -1 (parseArgs calls a value starting with '-' ambiguous), so the
//                   command's own check can say what is wrong with -1
import { existsSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command';
import { SEARCH_MODES, type SearchMode } from '../ngame/label-search';

type Options = NonNullable<ParseArgsConfig['options']>;

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** argv rewritten as described in the file comment (after '--', nothing is touched). */
export function normalizeArgv(argv: string[], options: Options): string[] {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const shortEq = /^-([A-Za-z])=([\s\S]*)$/.exec(a);
    if (shortEq && byShort.has(shortEq[1])) {
      out.push(`--${byShort.get(shortEq[1])}=${shortEq[2]}`);
      continue;
    }
    const name = /^--[^=]+$/.test(a) ? a.slice(2) : /^-[A-Za-z]$/.test(a) ? byShort.get(a[1]) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && i + 1 < argv.length && NEGATIVE_NUMBER.test(argv[i + 1])) {
      out.push(`--${name}=${argv[i + 1]}`);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** parseArgs (strict) over the normalised argv; errors are UsageErrors. */
export function parseCli<const O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: normalizeArgv(argv, options), options, allowPositionals, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --device's value (default auto). */
/** --search: exact, hnsw or auto (label-search.ts); undefined when not given. */
export function parseSearch(v: string | undefined): SearchMode | undefined {
  if (v !== undefined && !(SEARCH_MODES as string[]).includes(v)) throw new UsageError(`--search must be ${SEARCH_MODES.join(', ')}, got "${v}"`);
  return v as SearchMode | undefined;
}

export function parseDevice(v: string | undefined): 'auto' | 'cpu' | 'webgpu' {
  const d = v ?? 'auto';
  if (d !== 'auto' && d !== 'cpu' && d !== 'webgpu') throw new UsageError(`--device must be auto, cpu or webgpu, got "${d}"`);
  return d;
}

/**
 * A path named on the command line must exist (and be a directory where one is expected):
 * otherwise the command line is wrong, a UsageError (exit 2) like a bad flag value.
 */
export function requirePath(path: string | undefined, what: string, kind: 'file' | 'dir'): void {
  if (path === undefined) return;
  if (!existsSync(path)) throw new UsageError(`${what} ${path} is not a ${kind === 'dir' ? 'directory' : 'file'}: it does not exist`, false);
  if (kind === 'dir' && !statSync(path).isDirectory()) throw new UsageError(`${what} ${path} is not a directory`, false);
  if (kind === 'file' && statSync(path).isDirectory()) throw new UsageError(`${what} ${path} is a directory, not a file`, false);
}
