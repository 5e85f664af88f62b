import cliProgress from "cli-progress";

/** Progress of a learning phase: `update(done, total)` as work is done, `end()` once. */
export interface PhaseProgress {
  update(done: number, total: number): void;
  end(): void;
}

/** Makes the progress reporter of a phase. */
export type ProgressFactory = (phase: string) => PhaseProgress;

export const silentProgress: ProgressFactory = () => ({ update() {}, end() {} });

/** The same factory with every phase named `scope phase` (e.g. `seed 7 discover`). */
export function scopedProgress(factory: ProgressFactory, scope: string): ProgressFactory {
  return (phase) => factory(`${scope} ${phase}`);
}

export interface ProgressOptions {
  /** What the work is (the first word of every line or bar); default `learn`. */
  prefix?: string;
  /** Milliseconds on some monotonic clock (tests pass their own). */
  now?: () => number;
}

/** Where a phase stands, for rendering. */
export interface ProgressState {
  /** `prefix phase`, e.g. `eval seed 7 discover`. */
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
}

/** Linear estimate of the time left: the mean time per unit done so far × the units left; undefined before any. */
export function etaMs(done: number, total: number, elapsedMs: number): number | undefined {
  if (!(done > 0) || !(total > 0)) return undefined;
  return (Math.max(0, total - done) * elapsedMs) / done;
}

/** A duration for people: `0.4s`, `12s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
}

function etaText(s: ProgressState): string {
  if (s.total > 0 && s.done >= s.total) return "ETA 0s";
  const eta = etaMs(s.done, s.total, s.elapsedMs);
  return eta === undefined ? "ETA –" : `ETA ${formatDuration(eta)}`;
}

/** One plain line (logs, CI): `eval seed 7 discover: 3/7 (42%), 1.2s elapsed, ETA 1.6s`. */
export function progressLine(s: ProgressState): string {
  return `${s.label}: ${s.done}/${s.total} (${percent(s.done, s.total)}%), ${formatDuration(s.elapsedMs)} elapsed, ${etaText(s)}`;
}

/** The final plain line of a phase. */
export function doneLine(label: string, elapsedMs: number): string {
  return `${label}: done in ${formatDuration(elapsedMs)}`;
}

/** What a terminal shows for a phase: `eval seed 7 discover  |██████░░░░░░| 3/7  42% | ETA 1.6s | 1.2s`. */
export function barLine(s: ProgressState, opts: { width?: number; labelWidth?: number } = {}): string {
  const width = opts.width ?? 24;
  const filled = s.total > 0 ? Math.min(width, Math.round((width * Math.min(s.done, s.total)) / s.total)) : 0;
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const label = s.label.padEnd(opts.labelWidth ?? 24);
  return `${label} |${bar}| ${s.done}/${s.total} ${String(percent(s.done, s.total)).padStart(3)}% | ${etaText(s)} | ${formatDuration(s.elapsedMs)}`;
}

/** Plain lines (CI, logs): at most one line per `everyMs` per phase, plus one at the end. */
export function lineProgress(
  stream: NodeJS.WritableStream,
  everyMs = 2000,
  opts: ProgressOptions = {},
): ProgressFactory {
  const now = opts.now ?? (() => performance.now());
  const prefix = opts.prefix ?? "learn";
  return (phase) => {
    const label = `${prefix} ${phase}`;
    let last = -Infinity;
    const started = now();
    return {
      update(done, total) {
        const t = now();
        if (t - last < everyMs) return;
        last = t;
        stream.write(`${progressLine({ label, done, total, elapsedMs: t - started })}\n`);
      },
      end() {
        stream.write(`${doneLine(label, now() - started)}\n`);
      },
    };
  };
}

/** A live bar per phase (a terminal); a finished bar stays on its line, the next phase's bar starts below it. */
export function barProgress(stream: NodeJS.WritableStream, opts: ProgressOptions = {}): ProgressFactory {
  const now = opts.now ?? (() => performance.now());
  const prefix = opts.prefix ?? "learn";
  return (phase) => {
    const label = `${prefix} ${phase}`;
    const started = now();
    const bar = new cliProgress.SingleBar(
      {
        format: (_options, params) =>
          barLine({ label, done: params.value, total: params.total, elapsedMs: now() - started }),
        stream,
        hideCursor: true,
        // Redraw at least every second, so the ETA and the elapsed time move while a step runs.
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let running = false;
    return {
      update(done, total) {
        if (!running) {
          bar.start(Math.max(1, total), 0);
          running = true;
        }
        bar.setTotal(Math.max(1, total));
        bar.update(done);
      },
      end() {
        if (running) bar.stop();
      },
    };
  };
}

/** Bars on a terminal, plain lines otherwise (CI, pipes). */
export function autoProgress(stream: NodeJS.WriteStream = process.stderr, opts: ProgressOptions = {}): ProgressFactory {
  return stream.isTTY && !process.env.CI ? barProgress(stream, opts) : lineProgress(stream, 2000, opts);
}

/** Both reporters, each told everything (e.g. a terminal's bar and a stream's events). */
export function teeProgress(...factories: ProgressFactory[]): ProgressFactory {
  return (phase) => {
    const all = factories.map((f) => f(phase));
    return {
      update(done, total) {
        for (const p of all) p.update(done, total);
      },
      end() {
        for (const p of all) p.end();
      },
    };
  };
}

/**
 * The same reporters, told at most one update per `everyMs` per phase: the first at once, then the latest when
 * `everyMs` has passed since the last one told; `end()` first tells the latest update held back, so what they are
 * told always ends with the phase's last figures. For work that reports thousands of times a second.
 */
export function throttledProgress(
  factory: ProgressFactory,
  everyMs = 200,
  opts: Pick<ProgressOptions, "now"> = {},
): ProgressFactory {
  const now = opts.now ?? (() => performance.now());
  return (phase) => {
    const inner = factory(phase);
    let last = -Infinity;
    let held: [number, number] | undefined;
    return {
      update(done, total) {
        const t = now();
        if (t - last < everyMs) {
          held = [done, total];
          return;
        }
        last = t;
        held = undefined;
        inner.update(done, total);
      },
      end() {
        if (held) inner.update(held[0], held[1]);
        held = undefined;
        inner.end();
      },
    };
  };
}

/** A learning phase's progress as the learning graph streams it (LangGraph's `custom` stream mode). */
export interface ProgressEvent {
  type: "progress";
  phase: string;
  done: number;
  total: number;
  /** The linear estimate of the time left (etaMs); null before any unit is done. */
  etaMs: number | null;
}

/**
 * Progress as events, one per update; a phase's `end()` adds one with `done` = `total` (its last total, 1 when it
 * reported none) unless the last update already said so. Throttle it (throttledProgress) for a stream.
 */
export function progressEvents(
  emit: (e: ProgressEvent) => void,
  opts: Pick<ProgressOptions, "now"> = {},
): ProgressFactory {
  const now = opts.now ?? (() => performance.now());
  return (phase) => {
    const started = now();
    let last: { done: number; total: number } | undefined;
    return {
      update(done, total) {
        last = { done, total };
        emit({ type: "progress", phase, done, total, etaMs: etaMs(done, total, now() - started) ?? null });
      },
      end() {
        if (last && last.total > 0 && last.done >= last.total) return;
        const total = last && last.total > 0 ? last.total : 1;
        emit({ type: "progress", phase, done: total, total, etaMs: 0 });
      },
    };
  };
}
