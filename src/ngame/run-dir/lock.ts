// One writer per run directory. `ngame train` (and each run of `compare`) holds DIR/run.lock
// from before it reads its data until it ends, so a second training into the same --out is
// refused at once, naming the first one's pid, instead of after loading its data, and the two
// can never both pass the check-then-write of claiming the directory (files.ts).
//
// The lock file holds { pid, host, started } and appears complete or not at all: it is written
// to a temporary file and hard-linked into place, which fails when a lock exists (the same
// atomicity as open with 'wx', without a moment where the file exists but is empty). A lock
// whose process no longer runs on this host (a training killed with SIGKILL, a machine that
// crashed) is stale: it is taken over, and the caller says so. A lock from another host cannot
// be checked and counts as live. Removing a stale lock goes through a second link,
// run.lock.takeover, so that two processes never both remove it (one would delete the other's
// new lock).
import { existsSync, linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync, accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LOCK_FILE } from './layout';

export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
}

/** A run directory that cannot be written now: held by another training, or not writable. */
export class RunDirUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirUnavailable';
  }
}

export interface RunDirLock {
  /** Removes the lock (and the directory, when the lock created it and nothing else was written). */
  release(): void;
  /** The stale lock this one replaced, if any (its process no longer runs). */
  stale: LockInfo | null;
}

/** The lock in `dir`: null when there is none; a lock that cannot be parsed reads as pid 0 (stale). */
function readLock(path: string): LockInfo | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // absent, or removed while being read
  }
  try {
    const o = JSON.parse(text);
    if (Number.isInteger(o.pid) && typeof o.host === 'string' && typeof o.started === 'string') return o;
  } catch {
    // not a lock this code wrote: nothing holds it
  }
  return { pid: 0, host: hostname(), started: '?' };
}

/** Whether the process that took `lock` may still run it (unknown hosts count as live). */
function alive(lock: LockInfo): boolean {
  if (lock.host !== hostname()) return true;
  if (lock.pid <= 0) return false;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

const sameLock = (a: LockInfo | null, b: LockInfo) => a !== null && a.pid === b.pid && a.host === b.host && a.started === b.started;

const whose = (l: LockInfo) => `pid ${l.pid}${l.host === hostname() ? '' : ` on ${l.host}`}, started ${l.started}`;

/** The live lock held on `dir` by another process, or null (no lock, a stale one, or this process's own). */
export function lockHolder(dir: string): LockInfo | null {
  const lock = readLock(join(dir, LOCK_FILE));
  if (!lock || !alive(lock) || (lock.pid === process.pid && lock.host === hostname())) return null;
  return lock;
}

/** Why `dir` is in use by another training, in the words every command uses, or null. */
export function lockConflict(dir: string): string | null {
  const l = lockHolder(dir);
  return l && busy(dir, l);
}

const busy = (dir: string, l: LockInfo) =>
  `${dir} is being written by another ngame training (${whose(l)}; lock file ${join(dir, LOCK_FILE)}): wait for it to finish, or stop it (kill -INT ${l.pid}: its message says how to go on)`;

/** Why `dir` (or, when it does not exist yet, the directory it would be made in) cannot be written, or null. */
export function writableConflict(dir: string): string | null {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (existsSync(at) && !statSync(at).isDirectory()) return `${dir} cannot be a run directory: ${at} is a file`;
  try {
    accessSync(at, constants.W_OK);
    return null;
  } catch (e) {
    return notWritable(dir, at, e);
  }
}

function notWritable(dir: string, at: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return at === resolve(dir)
    ? `${dir} is not writable (${code}): choose another --out, or make it writable`
    : `cannot create ${dir}: ${at} is not writable (${code}): choose another --out, or make it writable`;
}

/**
 * Takes the lock on `dir`, creating the directory when needed, before anything else is written
 * there. Throws RunDirUnavailable naming the holder when another live process has it, or the
 * location when it cannot be written.
 */
export function lockRunDir(dir: string): RunDirLock {
  const created = !existsSync(dir);
  const fail = (e: unknown): never => {
    const why = writableConflict(dir);
    throw new RunDirUnavailable(why ?? `cannot lock ${dir}: ${(e as Error).message}`);
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail(e);
  }
  const path = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const tmp = join(dir, `.${LOCK_FILE}.${process.pid}.tmp`);
  let stale: LockInfo | null = null;
  try {
    try {
      writeFileSync(tmp, JSON.stringify(mine) + '\n');
    } catch (e) {
      fail(e);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fail(e);
      }
      const held = readLock(path);
      if (!held) continue; // released between our link and our read: try again
      if (alive(held)) throw new RunDirUnavailable(busy(dir, held));
      if (attempt >= 5) throw new RunDirUnavailable(`${path}: cannot take over the stale lock of ${whose(held)}; remove the file and run again`);
      if (takeOver(path, tmp, held)) stale = held;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (sameLock(readLock(path), mine)) rmSync(path, { force: true });
    if (created) {
      try {
        rmdirSync(dir); // only when empty: a run that failed before writing anything leaves no directory
      } catch {
        // it holds files: the run's
      }
    }
  };
  process.on('exit', release); // a second signal exits at once (interrupt.ts): the lock goes too
  return { release, stale };
}

/** Removes the stale lock `held` under the takeover guard; false when another process got there first. */
function takeOver(path: string, tmp: string, held: LockInfo): boolean {
  const guard = `${path}.takeover`;
  try {
    linkSync(tmp, guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const g = readLock(guard);
    if (g && alive(g)) throw new RunDirUnavailable(`${dirname(path)}: another process (${whose(g)}) is taking over its stale lock; run again in a moment`);
    rmSync(guard, { force: true }); // left by a process that died within a takeover
    return false;
  }
  try {
    if (!sameLock(readLock(path), held)) return false;
    unlinkSync(path);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}
