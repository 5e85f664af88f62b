import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/store.js";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { synthRecords } from "../learning/helpers.js";
import { writeFixture } from "../learning/fixtures.js";

/**
 * The deployed `learning` graph (langgraph.json) behind the real `langgraphjs dev` server, learning on 2,700
 * synthetic records (900 queries, so select cross-validates every candidate): streamed with ["custom", "updates"],
 * each phase's progress events arrive before its update, `done` rises to `total`, and `/ok`, polled one request at
 * a time for the whole run, is answered again and again while phases are under way (the phases run in a worker
 * thread, not on the server's event loop).
 */

const PHASES = ["split", "discover", "profile", "refine", "select"] as const;

interface Progress {
  type: "progress";
  phase: string;
  done: number;
  total: number;
  etaMs: number | null;
}

type Seen = { kind: "progress"; e: Progress } | { kind: "update"; node: string } | { kind: "ok" };

const fx = writeFixture(synthRecords({ perType: 300 }), "learn-progress-server-");
let dev: DevServer | undefined;

beforeAll(async () => {
  dev = await startDevServer();
}, DEV_SERVER_STARTUP_MS + 30_000);

afterAll(async () => {
  await dev?.stop();
  rmSync(fx.dir, { recursive: true, force: true });
}, 15_000);

describe("learning on the langgraphjs dev server", () => {
  it("streams each phase's progress as custom events while /ok keeps answering", async () => {
    const client = dev!.client;
    const out = join(fx.dir, "H.json");
    const seen: Seen[] = [];
    let running = true;
    let okCount = 0;
    // One /ok at a time, the next sent once the last is answered: a blocked event loop answers none meanwhile.
    const poller = (async () => {
      while (running) {
        const res = await fetch(`${dev!.url}/ok`);
        await res.text();
        if (!res.ok) throw new Error(`/ok answered ${res.status}`);
        okCount++;
        if (running) seen.push({ kind: "ok" });
      }
    })();
    const thread = await client.threads.create();
    try {
      for await (const chunk of client.runs.stream(thread.thread_id, "learning", {
        input: { records: fx.records, pool: fx.pool, out, seed: 3 },
        streamMode: ["custom", "updates"],
      } as never)) {
        const { event, data } = chunk as { event: string; data: unknown };
        if (event === "custom" && (data as { type?: string }).type === "progress")
          seen.push({ kind: "progress", e: data as Progress });
        else if (event === "updates")
          for (const node of Object.keys(data as object)) seen.push({ kind: "update", node });
        else if (event === "error") throw new Error(`run failed: ${JSON.stringify(data)}\n${dev!.output()}`);
      }
    } finally {
      running = false;
      await poller;
    }

    const updates = seen.flatMap((s, i) => (s.kind === "update" ? [{ node: s.node, at: i }] : []));
    expect(updates.map((u) => u.node)).toEqual([...PHASES, "report"]);
    const finalAt = updates.at(-1)!.at;
    const okInside: Record<string, number> = {};
    for (const phase of PHASES) {
      const at = seen.flatMap((s, i) => (s.kind === "progress" && s.e.phase === phase ? [i] : []));
      const events = at.map((i) => (seen[i] as { e: Progress }).e);
      const updateAt = updates.find((u) => u.node === phase)!.at;
      // Streamed as the phase runs: every progress event of the phase before its update (and the final one).
      expect(events.length, phase).toBeGreaterThan(0);
      expect(Math.max(...at), phase).toBeLessThan(updateAt);
      expect(updateAt).toBeLessThan(finalAt);
      // done rises to total: never falls, never passes the total, ends at it.
      for (let k = 1; k < events.length; k++)
        expect(events[k]!.done, phase).toBeGreaterThanOrEqual(events[k - 1]!.done);
      for (const e of events) expect(e.done, phase).toBeLessThanOrEqual(e.total);
      expect(events.at(-1)!.done, phase).toBe(events.at(-1)!.total);
      expect(events.at(-1)!.etaMs, phase).toBe(0);
      okInside[phase] = seen.slice(at[0]!, updateAt).filter((s) => s.kind === "ok").length;
    }
    // /ok answered while phases were under way: between a phase's first progress event and its update. A server
    // whose event loop ran the phase would answer at most the one request waiting when it finished.
    const busiest = Math.max(...Object.values(okInside));
    expect(busiest, JSON.stringify(okInside)).toBeGreaterThanOrEqual(3);
    expect(Object.values(okInside).filter((n) => n >= 2).length, JSON.stringify(okInside)).toBeGreaterThanOrEqual(2);
    expect(okCount).toBeGreaterThan(busiest);

    expect(existsSync(out)).toBe(true);
    const h = loadHandbook(out);
    expect(h.metadata.learning.cost).toMatchObject({ records: 2700, queries: 900, llmCalls: 0 });
  }, 240_000);
});
