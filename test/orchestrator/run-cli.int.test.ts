/**
 * `skillorchestra run` as a real subprocess over files written with the demo's own functions: text, --stream and
 * --json output, durable threads in SQLite, kill-and-resume, and a pool with an openai answer agent and an openai
 * orchestrator model served over HTTP on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import type { OrchestratorStateType, Step } from "../../graphs/orchestrator/state.js";
import { savePool } from "../../src/pool/load.js";
import type { AgentSpec, Pool } from "../../src/pool/schema.js";
import {
  startOpenAIServer,
  type OpenAIServer,
  type RecordedRequest,
  type ScriptStep,
} from "../../bench/support/openai-server.js";
import { buildSimFixture, inputOf, runOnFixture, testTask, withRemoteAnswer, type SimFixture } from "./fixture.js";
import { startCli, untilOrExit } from "../support/cli.js";
import { loopbackAgent } from "../support/openai-agent.js";

const KEY_ENV = { SO_CLI_ANSWER_KEY: "answer-key", SO_CLI_ROUTER_KEY: "router-key" };

let fx: SimFixture;
let dir: string;
let simPool: string;
let simHandbook: string;
let server: OpenAIServer;
let script: (req: RecordedRequest, index: number) => ScriptStep = () => ({ kind: "error", status: 500 });

beforeAll(async () => {
  fx = await buildSimFixture();
  dir = mkdtempSync(join(tmpdir(), "run-cli-"));
  simPool = join(dir, "pool.json");
  simHandbook = join(dir, "handbook.json");
  savePool(simPool, fx.pool);
  saveHandbook(simHandbook, fx.handbook);
  server = await startOpenAIServer((req, i) => script(req, i));
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const start = (args: string[]) => startCli(["run", ...args], KEY_ENV);
const cli = (args: string[]) => start(args).done;

const openaiSpec = (id: string, keyEnv: string): AgentSpec =>
  loopbackAgent(id, server.url, keyEnv, { inputPer1M: 0.5, outputPer1M: 1.5 });

/** The latest checkpointed state of a thread, read from the SQLite file as another process would. */
async function checkpointed(db: string, thread: string): Promise<Partial<OrchestratorStateType> | undefined> {
  const saver = SqliteSaver.fromConnString(db);
  try {
    return (await saver.getTuple({ configurable: { thread_id: thread } }))?.checkpoint.channel_values as
      | Partial<OrchestratorStateType>
      | undefined;
  } finally {
    saver.db.close();
  }
}

const isRoute = (r: RecordedRequest) =>
  Array.isArray(r.body?.tools) && r.body.tools.some((t: any) => t.function?.name === "route_step");

describe("skillorchestra run (subprocess)", () => {
  it("prints one line per decision and per step, then the answer, stop reason and (simulated) cost", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const inProcess = await runOnFixture(fx, task);
    const db = join(dir, "text.sqlite");
    const r = await cli([task.id, "--handbook", simHandbook, "--pool", simPool, "--db", db]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const decisions = lines.filter((l) => l.startsWith("decision "));
    const steps = lines.filter((l) => l.startsWith("step "));
    expect(decisions.length).toBe(inProcess.decisions.length);
    expect(steps.length).toBe(inProcess.steps.length);
    inProcess.decisions.forEach((d, i) => {
      expect(decisions[i]).toContain(
        `decision ${i}: ${d.mode}  skills ${d.record.skills.map((s) => `${s.id} ${s.weight.toFixed(2)}`).join(", ")}  → ${d.record.chosen}`,
      );
      expect(decisions[i]).toMatch(/score \d\.\d{3} {2}expected \$\d\.\d{7} \(simulated\) {2}\[offline\]$/);
      expect(steps[i]).toContain(`step ${i}: ${d.mode} by ${d.record.chosen}: `);
      expect(steps[i]).toMatch(/\(simulated\)$/);
    });
    expect(lines).toContain(`answer: ${inProcess.finalAnswer}`);
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(
        `^stop: answered after ${inProcess.steps.length} step\\(s\\); cost \\$\\d\\.\\d{7} \\(simulated\\); thread [0-9a-f-]{36}$`,
      ),
    );
  }, 60_000);

  it("--stream --json: decisions as they happen on stderr, the final state as JSON; the thread is kept in SQLite", async () => {
    const task = testTask(fx.world, "arithmetic");
    const db = join(dir, "json.sqlite");
    const r = await cli([
      task.id,
      "--handbook",
      simHandbook,
      "--pool",
      simPool,
      "--db",
      db,
      "--thread",
      "json-1",
      "--stream",
      "--json",
      "--max-steps",
      "4",
      "--lambda",
      "0.5",
    ]);
    expect(r.code).toBe(0);
    const state = JSON.parse(r.stdout) as OrchestratorStateType;
    expect(state.task).toEqual(inputOf(task).task);
    expect(state.settings).toEqual({ lambda: 0.5, maxSteps: 4 });
    expect(state.decisions.every((d) => d.record.lambda === 0.5)).toBe(true);
    expect(state.stopReason).toBe("answered");
    expect(state.codeResults.length).toBeGreaterThan(0);
    const streamed = r.stderr.split("\n").filter((l) => l.startsWith("decision "));
    expect(streamed.length).toBe(state.decisions.length);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("step ")).length).toBe(state.steps.length);
    expect(r.stderr).toContain("thread json-1");

    const saved = await checkpointed(db, "json-1");
    expect(saved?.steps).toEqual(state.steps);
    expect(saved?.finalAnswer).toBe(state.finalAnswer);

    // The same thread again: it has finished, so it is shown, not re-run.
    const again = await cli(["--handbook", simHandbook, "--pool", simPool, "--db", db, "--thread", "json-1", "--json"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("thread json-1 has already finished");
    expect(JSON.parse(again.stdout)).toEqual(state);
  }, 60_000);

  it("answers a free-text task for a sim pool with simulated steps, saying so", async () => {
    const a = await cli([
      "What is the capital of France?",
      "--handbook",
      simHandbook,
      "--pool",
      simPool,
      "--db",
      join(dir, "free.sqlite"),
    ]);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(
      /^note: the pool's agents are simulated: free text gets simulated steps and a simulated answer/m,
    );
    expect(a.stdout).toMatch(/^answer: .+$/m);
    expect(a.stdout).toMatch(/^stop: answered after \d+ step\(s\); cost \$[0-9.]+ \(simulated\);/m);
    const steps = a.stdout.split("\n").filter((l) => l.startsWith("step "));
    expect(steps.length).toBeGreaterThan(0);
    for (const l of steps) expect(l).toContain("(simulated)");
  }, 60_000);

  it("rejects bad input with one line: conflicting flags, a missing handbook", async () => {
    const [b, c] = await Promise.all([
      cli(["sim7-test-0", "--handbook", simHandbook, "--pool", simPool, "--lambda", "0.1", "--budget", "0.01"]),
      cli([
        "sim7-test-0",
        "--handbook",
        join(dir, "missing.json"),
        "--pool",
        simPool,
        "--db",
        join(dir, "bad-c.sqlite"),
      ]),
    ]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/'--lambda <x>' cannot be used with option '--budget <usd>'/);
    expect(c.code).toBe(2);
    expect(c.stderr.trim().split("\n")).toHaveLength(1);
    expect(c.stderr).toContain(join(dir, "missing.json"));
  }, 60_000);

  it("killed mid-run (SIGKILL), resumes with --thread from the last checkpoint, keeping the steps already taken", async () => {
    // Sim agents search and code; the only answer agent is an openai one behind the loopback server, whose first
    // reply never comes (the run is killed while waiting), and whose second reply answers.
    const task = testTask(fx.world, "arithmetic");
    const { pool, handbook } = withRemoteAnswer(fx, openaiSpec("remote-answer", "SO_CLI_ANSWER_KEY"));
    const poolPath = join(dir, "remote-pool.json");
    const handbookPath = join(dir, "remote-handbook.json");
    savePool(poolPath, pool);
    saveHandbook(handbookPath, handbook);
    const db = join(dir, "kill.sqlite");
    const before = server.chatRequests().length;
    script = (_req, i) =>
      i === before
        ? { kind: "hang" }
        : {
            kind: "reply",
            content: `Final answer: ${task.answer}`,
            usage: { prompt_tokens: 900, completion_tokens: 6 },
          };

    const args = ["--handbook", handbookPath, "--pool", poolPath, "--db", db, "--thread", "kill-1"];
    const first = start([task.id, ...args, "--stream"]);
    await untilOrExit(first, () => server.chatRequests().length > before, "it was killed");
    const kept = await checkpointed(db, "kill-1");
    expect(kept?.steps?.map((s) => s.mode)).toEqual(["code"]);
    expect(kept?.dispatch?.agent).toBe("remote-answer");
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stdout).toContain("step 0: code by ");
    expect(killed.stdout).not.toContain("answer:");

    const second = await cli([...args, "--stream", "--json"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("resuming thread kill-1 from its last checkpoint: 1 step(s) kept, next answer");
    // The code step is shown as kept, not run again: no new decision for step 0 or 1, one new step.
    expect(second.stderr).toContain("kept step 0: code by ");
    expect(second.stderr.split("\n").filter((l) => l.startsWith("decision ")).length).toBe(0);
    expect(second.stderr.split("\n").filter((l) => l.startsWith("step "))).toEqual([
      expect.stringMatching(/^step 1: answer by remote-answer: /),
    ]);
    const state = JSON.parse(second.stdout) as OrchestratorStateType;
    expect(state.steps.length).toBe(2);
    expect(state.steps[0]).toEqual(kept!.steps![0] as Step);
    expect(state.codeResults).toEqual(kept!.codeResults);
    expect(state.decisions).toHaveLength(2);
    expect(state.steps[1]!.agent).toBe("remote-answer");
    expect(state.steps[1]!.simulated).toBe(false);
    expect(state.finalAnswer).toBe(task.answer);
    expect(state.stopReason).toBe("answered");
    // Exactly two answer requests reached the server: the one cut off by the kill and the one after the resume,
    // and the second saw the kept program output.
    const mine = server.chatRequests().slice(before);
    expect(mine).toHaveLength(2);
    const user = mine[1]!.body.messages.find((m: any) => m.role === "user").content as string;
    expect(user).toContain(state.codeResults[0]!.stdout.trim());
  }, 60_000);

  it("--orchestrator-model: a scripted openai orchestrator chooses the mode and skills over HTTP", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const pool: Pool = { ...fx.pool, agents: [...fx.pool.agents, openaiSpec("router", "SO_CLI_ROUTER_KEY")] };
    const poolPath = join(dir, "router-pool.json");
    savePool(poolPath, pool);
    const before = server.chatRequests().length;
    const replies: ScriptStep[] = [
      {
        kind: "reply",
        toolCalls: [
          {
            name: "route_step",
            arguments: JSON.stringify({
              mode: "search",
              reason: "look it up",
              skills: [{ id: "search.capital_lookup", weight: 1 }],
            }),
          },
        ],
      },
      { kind: "reply", toolCalls: [{ name: "route_step", arguments: '{"mode": "answer", ' }] },
    ];
    script = (req) =>
      isRoute(req) ? (replies.shift() ?? { kind: "error", status: 500 }) : { kind: "error", status: 500 };
    const r = await cli([
      task.id,
      "--handbook",
      simHandbook,
      "--pool",
      poolPath,
      "--db",
      join(dir, "router.sqlite"),
      "--orchestrator-model",
      "router",
    ]);
    expect(r.code).toBe(0);
    expect(replies).toEqual([]);
    const decisions = r.stdout.split("\n").filter((l) => l.startsWith("decision "));
    expect(decisions[0]).toMatch(
      /^decision 0: search {2}skills search\.capital_lookup 1\.00 {2}→ sim-[\w-]+ .*\[llm\]$/,
    );
    expect(decisions[1]).toMatch(
      /^decision 1: answer .*\[offline \(llm failed: agent router: tool call route_step has arguments that are not valid JSON\)\]$/,
    );
    expect(r.stdout).toMatch(/stop: answered after 2 step\(s\)/);
    const mine = server.chatRequests().slice(before);
    expect(mine).toHaveLength(2);
    expect(mine.every(isRoute)).toBe(true);
    expect(mine[0]!.headers.authorization).toBe("Bearer router-key");
  }, 60_000);
});

describe("skillorchestra run: answering an approval request", () => {
  it("pauses with --ask over budget, then --redirect, --approve and --stop answer it from the command line", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const db = join(dir, "ask.sqlite");
    const base = ["--handbook", simHandbook, "--pool", simPool, "--db", db];

    // Bad replies (two at once, or one without a thread) are refused before the thread is read: they run alongside.
    const [paused, two, noThread] = await Promise.all([
      cli([task.id, ...base, "--budget", "1e-12", "--ask", "--thread", "ask-cli"]),
      cli([...base, "--thread", "ask-cli", "--approve", "--stop"]),
      cli([task.id, ...base, "--approve"]),
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr.trim().split("\n")).toHaveLength(1);
    expect(noThread.code).toBe(2);
    expect(noThread.stderr).toContain("--approve: needs --thread");
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/paused for approval: \{"kind":"approve_step"/);
    expect(paused.stdout).toContain("--approve, --redirect <agent>, --stop");
    const before = await checkpointed(db, "ask-cli");
    expect(before?.steps ?? []).toEqual([]);
    const pending = (
      before as {
        pending?: {
          decision: { record: { candidates: { agent: string; cost: number | null }[] } };
          dispatch: { agent: string };
        };
      }
    ).pending!;
    const cheaper = pending.decision.record.candidates
      .filter((c) => c.agent !== pending.dispatch.agent)
      .sort((a, b) => (a.cost ?? 0) - (b.cost ?? 0))[0]!.agent;

    // Asking again without a reply only prints the request.
    const again = await cli([...base, "--thread", "ask-cli"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("is paused for approval");

    const redirected = await cli([...base, "--thread", "ask-cli", "--redirect", cheaper, "--json"]);
    expect(redirected.code, redirected.stderr).toBe(0);
    const s1 = JSON.parse(redirected.stdout) as OrchestratorStateType;
    expect(s1.steps[0]!.agent).toBe(cheaper);
    expect(s1.decisions[0]!.human).toBe("redirected");
    // The budget is spent after that step; the next step asks again.
    expect(redirected.stderr).toContain("paused for approval");

    const stopped = await cli([...base, "--thread", "ask-cli", "--stop", "--json"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((JSON.parse(stopped.stdout) as OrchestratorStateType).stopReason).toBe("stopped_by_user");
  }, 90_000);
});
