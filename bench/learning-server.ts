/**
 * Health-check latency of a LangGraph server while it learns (issue 15): `/ok` round trips (p50, p99, max) on one
 * `langgraphjs dev` server, first idle, then while its `learning` graph learns on all LLMRouter train records
 * (../shared/data/llmrouter, imported as bench/learn.ts does; costs there are ESTIMATED), in the same server process.
 * One `/ok` at a time, the next POLL_GAP_MS after the last answer. The learning run is streamed with ["custom",
 * "updates"]: the progress events and when each phase ended are counted too. Target: p99 < 100 ms while learning.
 *
 * Run: npx tsx bench/learning-server.ts [--idle-samples N]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { importLlmRouterSplit } from "./llmrouter.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const idleSamples = Number(args[args.indexOf("--idle-samples") + 1] ?? 400) || 400;
const POLL_GAP_MS = 10;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `/ok` round trip in milliseconds. */
async function ok(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/ok`);
  await res.text();
  if (!res.ok) throw new Error(`/ok answered ${res.status}`);
  return performance.now() - t0;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `n ${s.length}, p50 ${quantile(s, 0.5).toFixed(1)} ms, p99 ${quantile(s, 0.99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
}

const tmp = mkdtempSync(join(tmpdir(), "bench-learning-server-"));
const train = importLlmRouterSplit(tmp, "train");
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(
  "npx",
  ["langgraphjs", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"],
  {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      BROWSER: "none",
      LANGGRAPH_CLI_NO_ANALYTICS: "1",
      LANGSMITH_TRACING: "false",
      LANGCHAIN_TRACING_V2: "false",
      LANGGRAPH_SCHEMA_RESOLVE_TIMEOUT_MS: "80000",
    },
  },
);
let output = "";
const keep = (b: Buffer) => {
  output = (output + b.toString()).slice(-20_000);
};
server.stdout?.on("data", keep);
server.stderr?.on("data", keep);
const stop = () => {
  server.stdout?.destroy();
  server.stderr?.destroy();
  try {
    if (server.pid) process.kill(-server.pid, "SIGTERM");
  } catch {
    // already gone
  }
};

try {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`dev server exited (${server.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`dev server did not answer in 120 s:\n${output}`);
    try {
      await ok(url);
      break;
    } catch {
      await sleep(500);
    }
  }
  const client = new Client({ apiUrl: url });
  // Both graphs are loaded at startup; a first run warms nothing the idle figures would miss.
  for (let i = 0; i < 20; i++) await ok(url);

  const idle: number[] = [];
  for (let i = 0; i < idleSamples; i++) {
    idle.push(await ok(url));
    await sleep(POLL_GAP_MS);
  }

  const learning: number[] = [];
  // A health check that fails (a connection reset by a server whose event loop was held) is counted, not timed.
  const failures: string[] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        learning.push(await ok(url));
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        failures.push(`${cause} after ${(performance.now() - t0).toFixed(0)} ms`);
      }
      await sleep(POLL_GAP_MS);
    }
  })();
  const thread = await client.threads.create();
  const out = join(tmp, "H.json");
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const progress: Record<string, number> = {};
  const ended: string[] = [];
  try {
    for await (const chunk of client.runs.stream(thread.thread_id, "learning", {
      input: { records: train.records, pool: train.pool, out },
      streamMode: ["custom", "updates"],
    } as never)) {
      const { event, data } = chunk as { event: string; data: { type?: string; phase?: string } };
      if (event === "custom" && data.type === "progress") progress[data.phase!] = (progress[data.phase!] ?? 0) + 1;
      else if (event === "updates")
        for (const node of Object.keys(data)) ended.push(`${node} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      else if (event === "error") throw new Error(`learning run failed: ${JSON.stringify(data)}`);
    }
  } finally {
    running = false;
    await poller;
  }
  const wall = (performance.now() - t0) / 1000;
  console.log(
    `LLMRouter train: ${train.result.records.length} records (costs estimated); server langgraphjs dev on 127.0.0.1, ${cpus().length} cores`,
  );
  console.log(`  /ok idle:     ${summary(idle)}`);
  console.log(
    `  /ok learning: ${summary(learning)}; failed ${failures.length}${failures.length ? ` (${failures.join("; ")})` : ""}`,
  );
  console.log(
    `  learning run ${wall.toFixed(1)} s on the server; phases ended at ${ended.join(", ")}; progress events ${JSON.stringify(progress)}; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  stop();
  rmSync(tmp, { recursive: true, force: true });
}
