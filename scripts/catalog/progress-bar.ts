/**
 * A progress bar on stderr (stdout stays free for results): redrawn in place on a terminal,
 * one line every few seconds otherwise (CI logs), with the rate and the time left.
 */
export function createProgressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const startedAt = performance.now();
  let lastDrawn = 0;
  let lastLogged = 0;
  const width = 30;

  function line(done: number): string {
    const seconds = (performance.now() - startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 && total > done ? `${Math.ceil((total - done) / rate)}s left` : "";
    return `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${Math.round(rate).toLocaleString("en-US")}/s ${eta}`;
  }

  return {
    update(done: number): void {
      const now = performance.now();
      if (stream.isTTY) {
        if (now - lastDrawn < 100 && done < total) return;
        lastDrawn = now;
        stream.write(`\r${line(done)}\x1b[K`);
      } else if (now - lastLogged >= 2_000 || done >= total) {
        lastLogged = now;
        stream.write(line(done) + "\n");
      }
    },
    finish(done: number): { seconds: number; perSecond: number } {
      const seconds = (performance.now() - startedAt) / 1000;
      if (stream.isTTY) stream.write(`\r${line(done)}\x1b[K\n`);
      else stream.write(line(done) + "\n");
      return { seconds, perSecond: seconds > 0 ? done / seconds : 0 };
    },
  };
}
