/**
 * `skillorchestra run --checkpoint postgres://…` as a real subprocess. A bad URL, or a server that is not there, fails
 * with one line before any step. Against a real PostgreSQL server: a run killed
 * with SIGKILL mid-run resumes from PostgreSQL with `--thread` and ends as an unkilled run (the same graph over the
 * same files, in this process) does; a server stopped
 * mid-run makes the run fail with one line (no stack), and once it is back the thread resumes and finishes.
 *
 * The sim agents search (a capital-lookup task: search, then answer; no sandbox, so the subprocesses stay quick on
 * a loaded machine); the only answer agent is an openai one behind a scripted server on 127.0.0.1, so
 * the test decides when an answer comes back (never, for the killed run; after the server stopped, for the other).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import { buildOrchestratorGraph } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { checkpointTarget, openCheckpointer } from "../../src/cli/checkpoint.js";
import { resolveFromContext } from "../../src/deploy/orchestrator.js";
import { savePool } from "../../src/pool/load.js";
import type { SimTask } from "../../src/sim/index.js";
import {
  type OpenAIServer,
  type RecordedRequest,
  type ScriptStep,
  startOpenAIServer,
} from "../../bench/support/openai-server.js";
import { startCli, untilOrExit } from "../support/cli.js";
import { loopbackAgent } from "../support/openai-agent.js";
import { type Cluster, describePostgres, startCluster, type TestDatabase, testDatabase } from "../support/postgres.js";
import { buildSimFixture, inputOf, outcome, type SimFixture, testTask, withRemoteAnswer } from "./fixture.js";

const KEY_ENV = { SO_PG_ANSWER_KEY: "answer-key" };

let fx: SimFixture;
let dir: string;
let server: OpenAIServer;
let task: SimTask;
let args: string[];
let files: { handbook: string; pool: string };
let script: (req: RecordedRequest, index: number) => ScriptStep | Promise<ScriptStep> = () => ({
  kind: "error",
  status: 500,
});

const answer = (): ScriptStep => ({
  kind: "reply",
  content: `Final answer: ${task.answer}`,
  usage: { prompt_tokens: 900, completion_tokens: 6 },
});

beforeAll(async () => {
  // One training task, a capital lookup: its records profile the search and answer skills the runs need, and its
  // exploration never runs the sandbox.
  fx = await buildSimFixture(1);
  dir = mkdtempSync(join(tmpdir(), "pg-cli-"));
  server = await startOpenAIServer((req, i) => script(req, i));
  task = testTask(fx.world, "capital_lookup");
  const { pool, handbook } = withRemoteAnswer(
    fx,
    loopbackAgent("remote-answer", server.url, "SO_PG_ANSWER_KEY", { inputPer1M: 0.5, outputPer1M: 1.5 }),
  );
  const poolPath = join(dir, "pool.json");
  const handbookPath = join(dir, "handbook.json");
  savePool(poolPath, pool);
  saveHandbook(handbookPath, handbook);
  files = { handbook: handbookPath, pool: poolPath };
  args = ["--handbook", handbookPath, "--pool", poolPath];
}, 180_000);
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const start = (a: string[]) => startCli(["run", ...a], KEY_ENV);

/** A port on 127.0.0.1 that nothing listens on (taken from the OS, then released). */
function closedPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

/** The latest checkpointed state of a thread, read from PostgreSQL as another process would. */
async function checkpointed(url: string, thread: string): Promise<Partial<OrchestratorStateType> | undefined> {
  const store = await openCheckpointer(checkpointTarget({ checkpoint: url }, "unused.sqlite"));
  try {
    return (await store.saver.getTuple({ configurable: { thread_id: thread } }))?.checkpoint.channel_values as
      | Partial<OrchestratorStateType>
      | undefined;
  } finally {
    await store.close();
  }
}

describe("run --checkpoint: a bad URL or an unreachable server", () => {
  it("fails with one line naming the flag or the variable, before any step", async () => {
    const closed = await closedPort();
    const before = server.chatRequests().length;
    script = () => answer();
    const [bad, unreachable] = await Promise.all([
      start([task.id, ...args, "--checkpoint", "mysql://me:secret@127.0.0.1/threads"]).done,
      startCli(["run", task.id, ...args], { ...KEY_ENV, POSTGRES_URI: `postgres://me:secret@127.0.0.1:${closed}/x` })
        .done,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trimEnd().split("\n")).toEqual([
      'skillorchestra: --checkpoint: "mysql://me:***@127.0.0.1/threads" is not a PostgreSQL URL: give postgres://user:password@host:5432/database (for a SQLite file, use --db FILE)',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trimEnd().split("\n")).toEqual([
      `skillorchestra: POSTGRES_URI postgres://me:***@127.0.0.1:${closed}/x: cannot use PostgreSQL for the threads: connect ECONNREFUSED 127.0.0.1:${closed}`,
    ]);
    for (const r of [bad, unreachable]) expect(r.stdout).toBe("");
    expect(server.chatRequests().length).toBe(before);
  }, 60_000);
});

describePostgres("run --checkpoint postgres://…: killed with SIGKILL, resumed from PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it("a run killed mid-run resumes with --thread and ends with the state of an unkilled run", async () => {
    const pg = ["--checkpoint", db.url];
    // The subprocess's answer request never comes back: it is killed while waiting, after its search step was saved.
    // Meanwhile the unkilled run goes on in this process (the graph `run` builds, over the same files, without a
    // checkpointer), its requests told apart by their API key.
    const before = server.chatRequests().length;
    const reference = "reference-key";
    let cliRequests = 0;
    script = (req) => {
      if (String(req.headers.authorization).includes(reference)) return answer();
      return cliRequests++ === 0 ? { kind: "hang" } : answer();
    };
    const first = start([task.id, ...args, ...pg, "--thread", "kill-1", "--stream"]);
    process.env.SO_PG_ANSWER_KEY = reference;
    const unkilledRun = buildOrchestratorGraph(resolveFromContext)
      .compile()
      .invoke(inputOf(task), { context: { handbook: files.handbook, pool: files.pool } as OrchestratorContextType });
    unkilledRun.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    await untilOrExit(first, () => cliRequests > 0, "its answer request");
    const kept = await checkpointed(db.url, "kill-1");
    expect(kept?.steps?.map((s) => s.mode)).toEqual(["search"]);
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stdout).not.toContain("answer:");

    const second = await start([...args, ...pg, "--thread", "kill-1", "--json"]).done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("resuming thread kill-1 from its last checkpoint: 1 step(s) kept, next answer");
    const resumed = JSON.parse(second.stdout) as OrchestratorStateType;
    const unkilled = (await unkilledRun) as OrchestratorStateType;
    expect(unkilled.steps.map((s) => s.mode)).toEqual(["search", "answer"]);
    expect(unkilled.finalAnswer).toBe(task.answer);
    expect(resumed.steps[0]).toEqual(kept!.steps![0]);
    expect(outcome(resumed)).toEqual(outcome(unkilled));
    // Two answer requests from the command line (the one cut off by the kill, the one after the resume), one from here.
    expect(cliRequests).toBe(2);
    expect(server.chatRequests().length - before).toBe(3);
  }, 60_000);
});

describePostgres(
  "run --checkpoint postgres://…: the server restarts mid-run",
  () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster();
    }, 60_000);
    afterAll(async () => {
      await cluster?.destroy();
    });

    it("the run fails with one line naming PostgreSQL and the thread; once the server is back, --thread finishes it", async () => {
      const pg = ["--checkpoint", cluster.url];
      // The answer request is held until the server has stopped, so the answer step's checkpoint cannot be written.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const before = server.chatRequests().length;
      script = async (_req, i) => {
        if (i === before) await released;
        return answer();
      };
      const run = start([task.id, ...args, ...pg, "--thread", "restart-1"]);
      await untilOrExit(run, () => server.chatRequests().length > before, "its answer request");
      await cluster.stop();
      release();
      const failed = await run.done;
      expect(failed.code).toBe(1);
      const lines = failed.stderr.trim().split("\n");
      expect(lines, failed.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^skillorchestra: PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: the checkpoint of thread restart-1 could not be read or written: .+; the thread keeps its last checkpoint: resume it with --thread restart-1$/,
      );
      expect(failed.stdout).not.toContain("answer:");

      await cluster.start();
      const resumed = await start([...args, ...pg, "--thread", "restart-1", "--json"]).done;
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain("resuming thread restart-1 from its last checkpoint: 1 step(s) kept");
      const state = JSON.parse(resumed.stdout) as OrchestratorStateType;
      expect(state.steps.map((s) => s.mode)).toEqual(["search", "answer"]);
      expect(state.finalAnswer).toBe(task.answer);
      expect(state.stopReason).toBe("answered");
      // The answer lost with the server was asked again, once.
      expect(server.chatRequests().length - before).toBe(2);
    }, 60_000);
  },
  "binaries",
);
