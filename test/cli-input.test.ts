/**
 * Bad input refused before the work: each case runs the real CLI as a subprocess on real files and checks the exit
 * code (2, an InputError), the one line naming the file and the field, and that no output was written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../handbook/index.js";
import { savePool } from "../src/pool/load.js";
import { formatRecordLine } from "../src/records/io.js";
import { buildSimFixture, type SimFixture } from "./orchestrator/fixture.js";
import { startCli, type CliExit } from "./support/cli.js";
import { writeFixture } from "./learning/fixtures.js";
import { synthRecords } from "./learning/helpers.js";

const cli = (args: string[]) => startCli(args).done;
/** Each CLI start compiles TypeScript: generous limits, so no test depends on how busy the machine is. */
const SLOW = { timeout: 300_000 };

/** The run was refused: exit 2, nothing on stdout, one line on stderr naming `file` and matching `what`. */
function refused(r: CliExit, file: string, what: RegExp): string {
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`skillorchestra: ${file}: `)).toBe(true);
  expect(lines[0]).toMatch(what);
  expect(r.code).toBe(2);
  return lines[0]!;
}

let dir: string;
let records: string;
let pool: string;
let empty: string;
let emptyDir: string;

beforeAll(() => {
  const fx = writeFixture(synthRecords({ perType: 12 }), "cli-input-");
  dir = fx.dir;
  records = fx.records;
  pool = fx.pool;
  empty = join(dir, "empty.jsonl");
  writeFileSync(empty, "");
  emptyDir = join(dir, "a-directory");
  mkdirSync(emptyDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("learn refuses before any phase runs", SLOW, () => {
  it("an empty records file: no handbook, no work directory", async () => {
    const out = join(dir, "learn-empty", "H.json");
    refused(
      await cli(["learn", "--records", empty, "--out", out, "--no-progress"]),
      empty,
      /no records to learn from \(the --records file/,
    );
    expect(existsSync(join(dir, "learn-empty"))).toBe(false);
  });

  it("--out an existing directory: nothing written beside it, no temp file", async () => {
    const target = join(dir, "out-dir");
    mkdirSync(target);
    const before = readdirSync(dir).sort();
    refused(
      await cli(["learn", "--records", records, "--pool", pool, "--out", target, "--no-progress"]),
      target,
      /is a directory; --out must be a file/,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(target)).toEqual([]);
  });

  it("a directory as --pool, and a --llm the pool does not hold", async () => {
    const out = join(dir, "learn-pool", "H.json");
    refused(
      await cli(["learn", "--records", records, "--pool", emptyDir, "--out", out, "--no-progress"]),
      emptyDir,
      /is a directory, not a pool file/,
    );
    const llm = await cli([
      "learn",
      "--records",
      records,
      "--pool",
      pool,
      "--llm",
      "nobody",
      "--out",
      out,
      "--no-progress",
    ]);
    expect(llm.stderr.trimEnd().split("\n")).toEqual([`skillorchestra: --llm: no agent "nobody" in the pool ${pool}`]);
    expect(llm.code).toBe(2);
    expect(existsSync(join(dir, "learn-pool"))).toBe(false);
  });
});

describe("records summary and explore refuse empty files", SLOW, () => {
  it("records summary on an empty file, and --against an empty file", async () => {
    refused(await cli(["records", "summary", empty]), empty, /no records to summarise/);
    const r = await cli(["records", "summary", records, "--against", empty]);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `skillorchestra: --against ${empty}: no records to compare with (the file has no record lines)`,
    ]);
    expect(r.code).toBe(2);
  });

  it("explore --tasks on an empty file writes no records file", async () => {
    const out = join(dir, "explored.jsonl");
    refused(
      await cli(["explore", "--pool", pool, "--tasks", empty, "--out", out, "--no-progress"]),
      empty,
      /no tasks to explore/,
    );
    expect(existsSync(out)).toBe(false);
    refused(
      await cli(["explore", "--pool", emptyDir, "--tasks", empty, "--out", out, "--no-progress"]),
      emptyDir,
      /is a directory, not a pool file/,
    );
    expect(existsSync(out)).toBe(false);
    refused(
      await cli(["explore", "--pool", pool, "--sim-tasks", "2", "--out", emptyDir, "--no-progress"]),
      emptyDir,
      /is a directory; --out must be a records file/,
    );
    expect(readdirSync(emptyDir)).toEqual([]);
  });

  it("records split with an output that is a directory writes neither side", async () => {
    const train = join(dir, "split-train.jsonl");
    refused(
      await cli(["records", "split", records, "--test-share", "0.3", "--train-out", train, "--test-out", emptyDir]),
      emptyDir,
      /is a directory; --test-out must be a records file/,
    );
    expect(existsSync(train)).toBe(false);
    expect(readdirSync(emptyDir)).toEqual([]);
  });
});

describe("eval", SLOW, () => {
  /** `eval --train TRAIN --test TEST --pool POOL --seeds 1 [MORE…] --no-progress` */
  const evalCli = (train: string, test: string, pool: string, ...more: string[]) =>
    cli(["eval", "--train", train, "--test", test, "--pool", pool, "--seeds", "1", ...more, "--no-progress"]);
  let multi: string;
  let multiPool: string;
  beforeAll(() => {
    // The same queries and agents in two modes, as explore writes them for a pool whose agents serve both.
    const recs = synthRecords({ perType: 12 });
    multi = join(dir, "multi.jsonl");
    writeFileSync(
      multi,
      [...recs, ...recs.map((r) => ({ ...r, mode: "code" as const }))].map(formatRecordLine).join(""),
    );
    const p = JSON.parse(readFileSync(pool, "utf8"));
    for (const a of p.agents) a.modes = ["answer", "code"];
    multiPool = join(dir, "multi-pool.json");
    writeFileSync(multiPool, JSON.stringify(p));
  });

  it("an empty test file is named as the test file, and no report is written", async () => {
    const json = join(dir, "eval-empty.json");
    refused(await evalCli(records, empty, pool, "--json", json), empty, /no records to evaluate on \(the --test file/);
    refused(await evalCli(empty, records, pool, "--json", json), empty, /no records to learn from \(the --train file/);
    refused(await evalCli(records, records, emptyDir, "--json", json), emptyDir, /is a directory, not a pool file/);
    expect(existsSync(json)).toBe(false);
    refused(
      await evalCli(records, records, pool, "--json", emptyDir),
      emptyDir,
      /is a directory; --json must be a file/,
    );
    expect(readdirSync(emptyDir)).toEqual([]);
  });

  it("records of several modes per query and agent: the line says to evaluate one mode with --mode, which then works", async () => {
    const json = join(dir, "eval-multi.json");
    const line = refused(
      await evalCli(multi, multi, multiPool, "--json", json),
      multi,
      /record \d+: \$\.mode: query \S+ has records of agent \S+ in several modes \(answer at record \d+, code here\)/,
    );
    expect(line).toMatch(/evaluate one mode at a time with --mode answer\|code$/);
    expect(existsSync(json)).toBe(false);
    refused(
      await evalCli(multi, multi, multiPool, "--mode", "search"),
      multi,
      /\$\.mode: no single-call records in mode search \(the --test file has answer, code\)/,
    );

    const ok = await evalCli(multi, multi, multiPool, "--mode", "code", "--lambdas", "0", "--json", json);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8")) as { kind: string; queries: number };
    // Each of the 36 queries once, by its code-mode records.
    expect(report).toMatchObject({ kind: "skillorchestra.eval", queries: 36 });
  });
});

describe("run checks the handbook's agents against the pool", SLOW, () => {
  let fx: SimFixture;
  let handbook: string;
  beforeAll(async () => {
    fx = await buildSimFixture();
    handbook = join(dir, "run-handbook.json");
    saveHandbook(handbook, fx.handbook);
  }, 300_000);

  it("refuses a pool lacking an agent the handbook routes to, before any thread is written", async () => {
    const routed = Object.keys(fx.handbook.agents).sort();
    const lacking = join(dir, "pool-lacking.json");
    savePool(lacking, { ...fx.pool, agents: fx.pool.agents.filter((a) => a.id !== routed[0]) });
    const db = join(dir, "threads-lacking.sqlite");
    const line = refused(
      await cli(["run", "sim7-test-0", "--handbook", handbook, "--pool", lacking, "--db", db]),
      lacking,
      /\$\.agents: no agent /,
    );
    expect(line).toContain(`no agent "${routed[0]}", which the handbook ${handbook} routes to`);
    expect(existsSync(db)).toBe(false);
    refused(
      await cli(["run", "sim7-test-0", "--handbook", handbook, "--pool", emptyDir, "--db", db]),
      emptyDir,
      /is a directory, not a pool file/,
    );
    expect(existsSync(db)).toBe(false);
  });

  it("warns, listing them, about pool agents the handbook never routes to, and runs", async () => {
    const extra = { ...fx.pool.agents[0]!, id: "sim-unprofiled" };
    const more = join(dir, "pool-more.json");
    savePool(more, { ...fx.pool, agents: [...fx.pool.agents, extra] });
    const r = await cli([
      "run",
      "sim7-test-0",
      "--handbook",
      handbook,
      "--pool",
      more,
      "--db",
      join(dir, "threads-more.sqlite"),
    ]);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `warning: ${more}: agent "sim-unprofiled" has no profile in the handbook ${handbook} and will not be routed to`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^answer: /m);
    expect(r.stdout).not.toContain("sim-unprofiled");
  });
});
