// Progress rendering: the plain lines and the terminal bar as pure functions of the state, and the reporters
// driven by a hand-moved clock (no wall-clock timing).
import { describe, expect, it } from "vitest";
import {
  barLine,
  barProgress,
  doneLine,
  etaMs,
  formatDuration,
  lineProgress,
  progressLine,
  scopedProgress,
  type ProgressFactory,
} from "../../src/learning/progress.js";

/** A writable stream that keeps what is written; `isTTY` as given (a terminal without one). */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 200,
    rows: 40,
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      chunks.push(String(chunk));
      const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      cb?.();
      return true;
    },
    on() {
      return stream;
    },
    once() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("etaMs and formatDuration", () => {
  it("estimates the time left linearly from the time per unit so far", () => {
    expect(etaMs(3, 7, 1200)).toBeCloseTo(1600, 9);
    expect(etaMs(7, 7, 1200)).toBe(0);
    expect(etaMs(0, 7, 1200)).toBeUndefined();
    expect(etaMs(2, 0, 1200)).toBeUndefined();
  });

  it("writes durations for people", () => {
    expect(formatDuration(400)).toBe("0.4s");
    expect(formatDuration(12_300)).toBe("12s");
    expect(formatDuration(185_000)).toBe("3m05s");
    expect(formatDuration(3_720_000)).toBe("1h02m");
  });
});

describe("progressLine and barLine", () => {
  const state = { label: "eval seed 7 discover", done: 3, total: 7, elapsedMs: 1200 };

  it("plain line: label, count, percentage, elapsed time and ETA", () => {
    expect(progressLine(state)).toBe("eval seed 7 discover: 3/7 (42%), 1.2s elapsed, ETA 1.6s");
    expect(progressLine({ ...state, done: 0 })).toBe("eval seed 7 discover: 0/7 (0%), 1.2s elapsed, ETA –");
    expect(progressLine({ ...state, done: 7 })).toBe("eval seed 7 discover: 7/7 (100%), 1.2s elapsed, ETA 0s");
    expect(doneLine("eval routing", 65_000)).toBe("eval routing: done in 1m05s");
  });

  it("bar: a filled share of the width, the count, percentage, ETA and elapsed time", () => {
    expect(barLine(state, { width: 10 })).toBe("eval seed 7 discover     |████░░░░░░| 3/7  42% | ETA 1.6s | 1.2s");
    expect(barLine({ ...state, done: 7 }, { width: 10 })).toBe(
      "eval seed 7 discover     |██████████| 7/7 100% | ETA 0s | 1.2s",
    );
    expect(barLine({ ...state, done: 0, total: 0 }, { width: 4 })).toContain("|░░░░| 0/0   0% | ETA –");
    // Labels of every phase line up (padded to the same width).
    const a = barLine({ ...state, label: "eval seed 7 split" });
    const b = barLine({ ...state, label: "eval seed 12 refine" });
    expect(a.indexOf("|")).toBe(b.indexOf("|"));
  });
});

describe("lineProgress (not a terminal)", () => {
  it("writes at most one line per interval per phase, and one when the phase ends", () => {
    const out = sink(false);
    const c = clock();
    const factory = lineProgress(out.stream, 2000, { prefix: "eval", now: c.now });
    const p = scopedProgress(factory, "seed 7")("discover");
    p.update(1, 4); // first update: written
    c.advance(500);
    p.update(2, 4); // within the interval: not written
    c.advance(1600);
    p.update(3, 4); // 2.1 s after the first: written
    c.advance(400);
    p.end();
    expect(out.text()).toBe(
      "eval seed 7 discover: 1/4 (25%), 0.0s elapsed, ETA 0.0s\n" +
        "eval seed 7 discover: 3/4 (75%), 2.1s elapsed, ETA 0.7s\n" +
        "eval seed 7 discover: done in 2.5s\n",
    );
  });

  it("names each seed's phases apart", () => {
    const out = sink(false);
    const factory: ProgressFactory = lineProgress(out.stream, 2000, { prefix: "eval", now: clock().now });
    for (const seed of [7, 8]) scopedProgress(factory, `seed ${seed}`)("split").end();
    expect(out.text()).toBe("eval seed 7 split: done in 0.0s\neval seed 8 split: done in 0.0s\n");
  });
});

describe("barProgress (a terminal)", () => {
  it("draws the bar line in place and leaves the final state on its own line", () => {
    const out = sink(true);
    const c = clock();
    const p = barProgress(out.stream, { prefix: "eval", now: c.now })("seed 7 profile");
    p.update(0, 8);
    c.advance(3000);
    p.update(6, 8);
    p.end();
    const text = out.text();
    // Drawn at the start (0/8), and the final render at stop (6/8 after 3 s).
    expect(text).toContain(barLine({ label: "eval seed 7 profile", done: 0, total: 8, elapsedMs: 0 }));
    expect(text).toContain(barLine({ label: "eval seed 7 profile", done: 6, total: 8, elapsedMs: 3000 }));
    // Redrawn in place (cursor to column 0), ended with a newline, the cursor hidden while drawing and shown after.
    expect(text).toContain("\x1b[?25l");
    expect(text.endsWith("\n") || text.endsWith("\x1b[?25h")).toBe(true);
    expect(text).toContain("\x1b[?25h");
    expect(text.match(/\n/g)?.length).toBe(1);
  });

  it("a phase that never updates draws nothing", () => {
    const out = sink(true);
    barProgress(out.stream, { now: clock().now })("select").end();
    expect(out.text()).toBe("");
  });
});
