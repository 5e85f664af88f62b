/**
 * `skillorchestra run` as a real subprocess against faulty OpenAI-compatible HTTP on 127.0.0.1: one line per failed
 * agent (`agent X: HTTP 500 after 3 attempts …; step 0 re-routed to Y`), exit 0 when an answer was produced and 1
 * when none was, `--deadline` ending a run against a hanging server, and no stack trace unless `--debug`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { profileByTask } from "../../src/demo/profile.js";
import { savePool } from "../../src/pool/load.js";
import type { AgentSpec, Pool } from "../../src/pool/schema.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import { startCli } from "../support/cli.js";
import {
  startOpenAIServer,
  type OpenAIServer,
  type RecordedRequest,
  type ScriptStep,
} from "../../bench/support/openai-server.js";
import { buildSimFixture, testTask, type SimFixture } from "./fixture.js";

const AGENTS = ["primary", "backup"] as const;
type Name = (typeof AGENTS)[number];
// The backoff is set through the environment here (SKILLORCHESTRA_BACKOFF_*), as a user of the CLI would.
const ENV = { SO_FAULT_CLI_KEY: "k", SKILLORCHESTRA_BACKOFF_BASE_MS: "10", SKILLORCHESTRA_BACKOFF_MAX_MS: "20" };
const STACK_LINE = /^\s+at /m;

let fx: SimFixture;
let dir: string;
let server: OpenAIServer;
let handbookPath: string;
let behaviour: Record<Name, (req: RecordedRequest) => ScriptStep>;
const agentOf = (req: RecordedRequest) => String(req.body?.model ?? "").replace(/-model$/, "") as Name;

function poolFile(name: string, extra: Partial<AgentSpec> = {}): string {
  const pool: Pool = {
    version: 1,
    name: "faults-cli",
    agents: AGENTS.map((id) => ({
      id,
      modes: ["answer"],
      provider: "openai",
      model: `${id}-model`,
      price: { inputPer1M: 0.5, outputPer1M: 1.5 },
      maxRetries: 2,
      openai: { baseURL: server.url, apiKeyEnv: "SO_FAULT_CLI_KEY" },
      ...extra,
    })),
  };
  const path = join(dir, `${name}.json`);
  savePool(path, pool);
  return path;
}

beforeAll(async () => {
  fx = await buildSimFixture();
  dir = mkdtempSync(join(tmpdir(), "faults-cli-"));
  server = await startOpenAIServer((req) => behaviour[agentOf(req)](req));
  // Ten copies of one sim answer agent's records per query: primary succeeds on all, backup on half.
  const answers = fx.records.filter((r) => r.mode === "answer");
  const source = answers.filter((r) => r.agent === answers[0]!.agent);
  const records: ExecutionRecord[] = AGENTS.flatMap((agent, a) =>
    source.flatMap((r) =>
      Array.from({ length: 10 }, (_, k) => ({
        ...r,
        queryId: `${r.queryId}-${k}`,
        agent,
        score: a === 0 || k < 5 ? 1 : 0,
        success: a === 0 || k < 5,
        costUsd: 0.0001,
      })),
    ),
  );
  handbookPath = join(dir, "handbook.json");
  saveHandbook(
    handbookPath,
    profileByTask(records, {
      version: 1,
      agents: AGENTS.map((id) => ({
        id,
        modes: ["answer"],
        provider: "openai",
        model: "m",
        price: { inputPer1M: 1, outputPer1M: 1 },
      })),
    }),
  );
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const task = () => testTask(fx.world, "capital_lookup").text;
const cli = (args: string[]) => startCli(["run", ...args], ENV).done;

describe("skillorchestra run against faulty models (subprocess)", () => {
  it("HTTP 500 on the best agent: one line saying so and where the step went; the answer; exit 0", async () => {
    behaviour = {
      primary: () => ({ kind: "error", status: 500, body: { error: { message: "boom" } } }),
      backup: () => ({ kind: "reply", content: "Final answer: Paris" }),
    };
    const since = server.chatRequests().length;
    const r = await cli([
      task(),
      "--handbook",
      handbookPath,
      "--pool",
      poolFile("p500"),
      "--db",
      join(dir, "a.sqlite"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^agent primary: HTTP 500 after 3 attempts \(.*boom.*\); step 0 re-routed to backup$/),
    ]);
    expect(r.stdout).toContain("answer: Paris");
    expect(r.stdout).toMatch(/stop: answered after 1 step\(s\)/);
    expect(r.stdout).toMatch(/decision 0: answer .*→ backup .*\[re-route\]/);
    expect(
      server
        .chatRequests()
        .slice(since)
        .filter((q) => agentOf(q) === "primary"),
    ).toHaveLength(3);
  }, 120_000);

  it("every agent fails: one line per failure, stop reason agent_error, exit 1, no stack trace; --json names them", async () => {
    behaviour = { primary: () => ({ kind: "malformed" }), backup: () => ({ kind: "reset" }) };
    const r = await cli([
      task(),
      "--handbook",
      handbookPath,
      "--pool",
      poolFile("dead"),
      "--db",
      join(dir, "b.sqlite"),
      "--json",
    ]);
    expect(r.code).toBe(1);
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("thread "));
    expect(lines).toEqual([
      expect.stringMatching(/^agent primary: unusable response after 1 attempt .*; step 0 re-routed to backup$/),
      expect.stringMatching(
        /^agent backup: network error after 3 attempts .*; no other answer agent left for step 0: the run stopped$/,
      ),
    ]);
    expect(r.stderr).not.toMatch(STACK_LINE);
    const state = JSON.parse(r.stdout) as OrchestratorStateType;
    expect(state.stopReason).toBe("agent_error");
    expect(state.finalAnswer).toBeNull();
    expect(state.failures.map((f) => [f.agent, f.error, f.attempts])).toEqual([
      ["primary", "unusable response", 1],
      ["backup", "network error", 3],
    ]);
  }, 120_000);

  it("--deadline ends a run against a hanging server at the deadline, though each attempt may take 60 s", async () => {
    behaviour = { primary: () => ({ kind: "hang" }), backup: () => ({ kind: "hang" }) };
    const started = performance.now();
    const r = await cli([
      task(),
      "--handbook",
      handbookPath,
      "--pool",
      poolFile("hang", { timeoutMs: 60_000 }),
      "--db",
      join(dir, "c.sqlite"),
      "--deadline",
      "2s",
    ]);
    const elapsed = performance.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^agent primary: timed out after 1 attempt \(the run's deadline was reached\); the run's deadline was reached at step 0$/m,
    );
    expect(r.stdout).toMatch(/stop: deadline after 0 step\(s\)/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    // Uncut, three 60 s attempts per agent; the bound leaves a busy machine ample room over the 2 s deadline.
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(60_000);
  }, 120_000);

  it("an error outside the graph is one line; --debug adds its stack trace", async () => {
    // The checkpoint database cannot be opened (its path is a directory): not bad input, so exit 1.
    behaviour = {
      primary: () => ({ kind: "reply", content: "Final answer: Paris" }),
      backup: () => ({ kind: "reply", content: "Final answer: Paris" }),
    };
    const args = [task(), "--handbook", handbookPath, "--pool", poolFile("ok"), "--db", dir];
    const [plain, debug] = await Promise.all([cli(args), cli([...args, "--debug"])]);
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim().split("\n")).toHaveLength(1);
    expect(plain.stderr).toMatch(/^skillorchestra: /);
    expect(plain.stderr).not.toMatch(STACK_LINE);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(STACK_LINE);
  }, 120_000);
});
