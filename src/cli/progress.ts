// Terminal progress: a one-line bar with step, throughput and ETA, redrawn in place on a TTY
// and printed every few seconds otherwise (logs stay readable). --quiet silences both.
import type { Reporter } from '../ngame/run';

export function consoleReporter(quiet: boolean): Reporter {
  const tty = process.stderr.isTTY === true;
  let label = '';
  let start = 0;
  let firstDone = 0;
  let lastPrint = 0;
  let drawn = false;
  const clear = () => {
    if (drawn && tty) process.stderr.write('\r\x1b[K');
    drawn = false;
  };
  return {
    info(msg) {
      if (quiet) return;
      clear();
      console.error(msg);
    },
    warn(msg) {
      clear();
      console.error(`warning: ${msg}`); // also with --quiet
    },
    progress(l, done, total, extra = '') {
      if (quiet) return;
      const now = performance.now();
      if (l !== label) {
        label = l;
        start = now;
        firstDone = done;
        lastPrint = 0;
      }
      // Rate over the steps seen since this label's first report (that step's time is unknown).
      const elapsed = (now - start) / 1000;
      const rate = elapsed > 0 ? (done - firstDone) / elapsed : 0;
      const eta = rate > 0 ? (total - done) / rate : 0;
      const width = 24;
      const fill = Math.round((width * done) / total);
      const line = `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}  ${rate.toFixed(2)} it/s  ETA ${rate > 0 ? `${eta.toFixed(0)} s` : '?'}  ${extra}`;
      if (tty) {
        process.stderr.write('\r\x1b[K' + line);
        drawn = true;
        if (done === total) clear();
      } else if (now - lastPrint > 10_000 || done === total) {
        console.error(line);
        lastPrint = now;
      }
    },
  };
}
