import cliProgress from "cli-progress";

/** Progress of a learning phase: `update(done, total)` as work is done, `end()` once. */
export interface PhaseProgress {
  update(done: number, total: number): void;
  end(): void;
}

/** Makes the progress reporter of a phase. */
export type ProgressFactory = (phase: string) => PhaseProgress;

export const silentProgress: ProgressFactory = () => ({ update() {}, end() {} });

/** Plain lines (CI, logs): at most one line per `everyMs` per phase, plus one at the end. */
export function lineProgress(stream: NodeJS.WritableStream, everyMs = 2000): ProgressFactory {
  return (phase) => {
    let last = -Infinity;
    let seen = { done: 0, total: 0 };
    const started = performance.now();
    const line = () => `learn ${phase}: ${seen.done}/${seen.total} (${((performance.now() - started) / 1000).toFixed(1)}s)\n`;
    return {
      update(done, total) {
        seen = { done, total };
        const now = performance.now();
        if (now - last < everyMs) return;
        last = now;
        stream.write(line());
      },
      end() {
        stream.write(`learn ${phase}: done in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
      },
    };
  };
}

/** A live bar per phase (a terminal). */
export function barProgress(stream: NodeJS.WritableStream): ProgressFactory {
  return (phase) => {
    const bar = new cliProgress.SingleBar(
      { format: `learn ${phase.padEnd(8)} |{bar}| {value}/{total} {percentage}% | {duration_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(Math.max(1, total), 0);
          started = true;
        }
        bar.setTotal(Math.max(1, total));
        bar.update(done);
      },
      end() {
        if (started) bar.stop();
      },
    };
  };
}

/** Bars on a terminal, plain lines otherwise (CI, pipes). */
export function autoProgress(stream: NodeJS.WriteStream = process.stderr): ProgressFactory {
  return stream.isTTY && !process.env.CI ? barProgress(stream) : lineProgress(stream);
}
