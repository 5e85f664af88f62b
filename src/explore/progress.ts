import cliProgress from "cli-progress";
import type { ExploreProgress } from "./types.js";

/** Receives progress as pairs finish; `end` is called once at the end of the run. */
export interface ProgressSink {
  update(p: ExploreProgress): void;
  end(p: ExploreProgress): void;
}

export function formatCost(p: Pick<ExploreProgress, "costUsd" | "costEstimated" | "simulated">): string {
  const tags = [p.simulated ? "simulated" : "", p.costEstimated ? "estimated" : ""].filter(Boolean);
  return `$${p.costUsd.toFixed(4)}${tags.length ? ` (${tags.join(", ")})` : ""}`;
}

function etaSeconds(p: ExploreProgress): number | undefined {
  if (p.done === 0 || p.done >= p.total) return undefined;
  return Math.round(((p.total - p.done) * p.elapsedMs) / p.done / 1000);
}

/** A line for logs: `explore: 40/120 (33%), 1 failed, 15 already done, cost $0.0123 (simulated), eta 30s`. */
export function exploreProgressLine(p: ExploreProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  const eta = etaSeconds(p);
  return (
    `explore: ${p.done}/${p.total} (${pct}%)` +
    (p.failed ? `, ${p.failed} failed` : "") +
    (p.resumed ? `, ${p.resumed} already done` : "") +
    (p.calls !== undefined ? `, ${p.calls} calls` : "") +
    `, cost ${formatCost(p)}` +
    (p.capUsd !== undefined ? ` (cap $${p.capUsd}, $${(p.spentUsd ?? 0).toFixed(4)} spent in all)` : "") +
    (eta !== undefined ? `, eta ${eta}s` : "")
  );
}

/** Plain lines on a stream: at most one every `everyMs` (default 5 s), and a last one at the end. */
export function lineSink(stream: NodeJS.WritableStream, everyMs = 5000): ProgressSink {
  let last = -Infinity;
  return {
    update(p) {
      if (p.elapsedMs - last < everyMs) return;
      last = p.elapsedMs;
      stream.write(`${exploreProgressLine(p)}\n`);
    },
    end(p) {
      stream.write(`${exploreProgressLine(p)}\n`);
    },
  };
}

/** A live bar with ETA and running cost (for a terminal). */
export function barSink(stream: NodeJS.WritableStream): ProgressSink {
  const bar = new cliProgress.SingleBar(
    {
      format: "explore |{bar}| {value}/{total} {percentage}% | ETA {eta_formatted} | cost {cost}{failed}",
      stream,
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (p: ExploreProgress) => ({
    cost: `${formatCost(p)}${p.calls !== undefined ? ` | ${p.calls} calls` : ""}${p.capUsd !== undefined ? ` of cap $${p.capUsd}` : ""}`,
    failed: p.failed ? ` | ${p.failed} failed` : "",
  });
  return {
    update(p) {
      if (!started) {
        bar.start(p.total, p.done, payload(p));
        started = true;
      } else bar.update(p.done, payload(p));
    },
    end(p) {
      if (!started) bar.start(p.total, p.done, payload(p));
      bar.update(p.done, payload(p));
      bar.stop();
    },
  };
}

/** The sink for an `ExploreOptions.progress` setting. "auto": a bar when stderr is a TTY and CI is unset, else lines. */
export function progressSink(setting: boolean | "auto" | ((p: ExploreProgress) => void) | undefined): ProgressSink {
  if (setting === false) return { update() {}, end() {} };
  if (typeof setting === "function") return { update: setting, end: setting };
  const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY) && !process.env.CI;
  return tty ? barSink(process.stderr) : lineSink(process.stderr);
}
