// The process's memory as the operating system counts it (resident set size), for the run's
// final record and the benchmarks: what a machine must have for a run, beside the device's own
// bytes that the backends count (Backend.memory()).

/** The largest resident set size this process has had so far, in bytes (getrusage's ru_maxrss). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024; // Node reports kilobytes
}

/** Bytes as "812 MiB" below 1 GiB, else "3.42 GiB". */
export function formatBytes(bytes: number): string {
  return bytes < 2 ** 30 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
