#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, for development in a clone without a build step
// (`node bin/ngame.mjs ...`, `npm run ngame -- ...`, and the tests). The installed package's `ngame`
// is the compiled dist/cli.js instead (package.json's bin; scripts/build.mjs), with no tsx.
//
// The CLI runs in this very process (tsx's loader registered here), so a signal sent to this
// process reaches the CLI itself: `kill -INT` / `kill -TERM` stops a training at its next safe
// point, and nothing is left running. Where the loader cannot be registered in-process (Node
// before 20.6), the CLI runs in a child process instead: SIGINT, SIGTERM and SIGHUP are forwarded
// to it, and this process exits with the child's status (or dies of the child's signal). (Ctrl-C
// in a terminal signals both processes, so the child then sees SIGINT twice and stops at once
// rather than at a safe point: still safe, since every file is written atomically.)
// NGAME_CHILD_PROCESS=1 chooses the child process anyway (the tests run both ways).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'src/cli/main.ts');

let register = null;
if (process.env.NGAME_CHILD_PROCESS !== '1') {
  try {
    ({ register } = await import('tsx/esm/api'));
    register();
  } catch {
    register = null;
  }
}

if (register) {
  await import(pathToFileURL(main).href);
} else {
  // Plain node with tsx's loader, not the tsx command: tsx relays a signal to its child only if
  // the child answers within 30 ms, and SIGKILLs it otherwise (a busy training does not answer).
  const require = createRequire(import.meta.url);
  const { register: moduleRegister } = await import('node:module');
  const loader = moduleRegister ? ['--import', pathToFileURL(require.resolve('tsx')).href] : ['--loader', pathToFileURL(require.resolve('tsx/esm')).href];
  const child = spawn(process.execPath, [...loader, main, ...process.argv.slice(2)], { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, () => child.kill(s));
  child.on('error', (e) => {
    console.error(`ngame: cannot start ${process.execPath}: ${e.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
