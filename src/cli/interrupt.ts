// Stopping a training on SIGINT or SIGTERM at a safe point. The first signal only sets a flag;
// the reporter handed to runTraining throws `Interrupted` at its next safe point: a progress
// report, which comes right after a finished training step, or the start of an epoch (where the
// run also gives the event loop a turn: on the cpu backend nothing else does, so there signals
// are handled between epochs), never inside a save. So the run directory keeps
// its last checkpoint (written after each M1 epoch, crash-safely) and `--resume` continues from
// it; the partial epoch is trained again. A second signal exits at once (every file is written
// atomically, so that is safe too, only less tidy).
import { constants } from 'node:os';
import type { Reporter } from '../ngame/run';

/** What a training stopped after its first checkpoint keeps (train adds: --resume; compare: run it again). */
export const KEPT = 'the run directory keeps the checkpoint of the last finished M1 epoch';

export class Interrupted extends Error {
  /**
   * `what`: what the run directory keeps and how to continue; a train stopped before its first
   * checkpoint says instead what run-dir's runDirAdvice says of such a directory.
   */
  constructor(readonly signal: NodeJS.Signals, what = `${KEPT}; continue the run with the same command and --resume`) {
    super(`stopped by ${signal}: ${what}`);
  }
  /** 128 + the signal number, as a shell reports a process ended by that signal. */
  get exitCode(): number {
    return 128 + (constants.signals[this.signal] ?? 0);
  }
}

export interface StopWatch {
  /** `rep` whose progress() throws Interrupted once a stop was requested. */
  reporter: Reporter;
  requested(): NodeJS.Signals | null;
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Installs the SIGINT/SIGTERM handlers (until dispose) and wraps `rep`. */
export function stopOnSignals(rep: Reporter): StopWatch {
  let got: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (got) {
      console.error(`\nngame: ${s} again: stopping now`);
      process.exit(128 + (constants.signals[s] ?? 0));
    }
    got = s;
    console.error(`\nngame: ${s}: stopping at the next safe point, after the current training step or epoch (send ${s} again to stop at once)`);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    reporter: {
      info: (msg) => rep.info(msg),
      warn: (msg) => (rep.warn ?? rep.info)(msg),
      progress(label, done, total, extra) {
        if (got) throw new Interrupted(got);
        rep.progress(label, done, total, extra);
      },
      async safePoint() {
        await new Promise((resolve) => setImmediate(resolve)); // the event loop's turn: pending signals run
        if (got) throw new Interrupted(got);
        await rep.safePoint?.();
      },
    },
    requested: () => got,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
