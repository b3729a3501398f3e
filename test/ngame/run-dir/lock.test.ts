// The run directory's lock (src/ngame/run-dir/lock.ts): one holder at a time, stale locks of dead
// processes taken over and reported, locks of other hosts respected, nothing left on release.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockConflict, lockHolder, lockRunDir, RunDirUnavailable, runDirConflict } from '../../../src/ngame/run-dir';

const root = mkdtempSync(join(tmpdir(), 'ngame-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('lockRunDir', () => {
  it('creates the directory and the lock; a second lock is refused naming the holder; release removes both', () => {
    const dir = join(root, 'a', 'run');
    const lock = lockRunDir(dir);
    const held = JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8'));
    expect(held).toMatchObject({ pid: process.pid, host: hostname() });
    expect(lock.stale).toBeNull();
    expect(() => lockRunDir(dir)).toThrow(RunDirUnavailable);
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`is being written by another ngame training \\(pid ${process.pid}, started ${held.started}`));
    // This process's own lock does not block its own checks (the run that holds it claims the directory).
    expect(lockHolder(dir)).toBeNull();
    expect(runDirConflict(dir, {})).toBeNull();
    lock.release();
    expect(existsSync(dir)).toBe(false); // created by the lock and still empty
    expect(existsSync(join(root, 'a'))).toBe(true);
  });

  it('a directory that holds files stays on release; only the lock goes', () => {
    const dir = join(root, 'keep');
    const lock = lockRunDir(dir);
    writeFileSync(join(dir, 'config.json'), '{}');
    lock.release();
    lock.release(); // twice is harmless
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('takes over the lock of a process that no longer runs, and reports it; an unreadable lock counts as stale', () => {
    const dir = join(root, 'stale');
    mkdirSync(dir);
    const dead = { pid: deadPid(), host: hostname(), started: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, 'run.lock'), JSON.stringify(dead));
    expect(lockHolder(dir)).toBeNull();
    expect(lockConflict(dir)).toBeNull();
    const lock = lockRunDir(dir);
    expect(lock.stale).toEqual(dead);
    expect(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    writeFileSync(join(dir, 'run.lock'), 'garbage');
    const again = lockRunDir(dir);
    expect(again.stale?.pid).toBe(0);
    again.release();
    expect(readdirSync(dir)).toEqual([]); // no temporary or takeover file left
  });

  it('a lock of another host, or of a live process, is respected', () => {
    const dir = join(root, 'other-host');
    mkdirSync(dir);
    const other = { pid: deadPid(), host: `not-${hostname()}`, started: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, 'run.lock'), JSON.stringify(other));
    expect(lockHolder(dir)).toEqual(other);
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`pid ${other.pid} on not-${hostname()}`));
    expect(runDirConflict(dir, { force: true })).toMatch(/is being written by another ngame training/);
    const live = { pid: process.ppid, host: hostname(), started: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, 'run.lock'), JSON.stringify(live));
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`pid ${process.ppid}, started`));
    expect(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8'))).toEqual(live); // untouched
  });
});
