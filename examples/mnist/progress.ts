// A progress bar on stderr. On a terminal it redraws one line in place; otherwise (a log
// file, CI) it prints a plain line at every 10% so logs stay readable.

export class Progress {
  private readonly tty: boolean;
  private lastDrawn = -1;
  private readonly started = performance.now();

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  /** fraction: done so far, in [0, 1]. */
  update(fraction: number): void {
    const seconds = (performance.now() - this.started) / 1000;
    if (this.tty) {
      const permille = Math.floor(1000 * fraction);
      if (permille === this.lastDrawn) return;
      this.lastDrawn = permille;
      const width = 30, filled = Math.round(width * fraction);
      const eta = fraction > 0 ? (seconds * (1 - fraction)) / fraction : 0;
      this.stream.write(`\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%, ${seconds.toFixed(0)} s, ~${eta.toFixed(0)} s left `);
      if (fraction >= 1) this.stream.write("\n");
    } else {
      const tenth = Math.floor(10 * fraction);
      if (tenth === this.lastDrawn) return;
      this.lastDrawn = tenth;
      this.stream.write(`${this.label}: ${tenth * 10}%, ${seconds.toFixed(0)} s\n`);
    }
  }
}
