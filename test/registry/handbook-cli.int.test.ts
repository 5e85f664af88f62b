import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import { startOpenAIServer } from "../../bench/support/openai-server.js";
import { startCli } from "../support/cli.js";
import { FileStore } from "../../src/registry/file-store.js";
import { publishHandbook, readPublication } from "../../src/registry/handbooks.js";
import { ev, handbookWith } from "../handbook/helpers.js";

/**
 * `skillorchestra handbook publish | list | rollback` as real subprocesses, on the file store: what each prints, the
 * exit codes, and one line for bad input (exit 2).
 */

let dir = "";
let files: { a: string; b: string; store: string; notHandbook: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "registry-cli-"));
  const make = (x: number) =>
    handbookWith(["answer.facts", "answer.facts.capitals"], {
      x: { modes: ["answer"], competence: { "answer.facts.capitals": ev(x, 10 - x) } },
    });
  files = {
    a: join(dir, "a.json"),
    b: join(dir, "b.json"),
    store: join(dir, "store", "handbooks.json"),
    notHandbook: join(dir, "records.json"),
  };
  saveHandbook(files.a, make(9));
  saveHandbook(files.b, make(3));
  writeFileSync(files.notHandbook, JSON.stringify([{ queryId: "q1" }]));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const so = (...args: string[]) => startCli(["handbook", ...args, "--store", files.store]).done;

describe("skillorchestra handbook", () => {
  it("publish, list, rollback", async () => {
    const p1 = await so("publish", files.a, "--name", "demo");
    expect(p1.stderr).toBe("");
    expect(p1.code).toBe(0);
    expect(p1.stdout).toMatch(
      /^published demo@v1 from .*a\.json without a selection, sha256 [0-9a-f]{12}, to .*handbooks\.json\nserving demo@v1\n$/,
    );
    const p2 = await so("publish", files.b, "--name", "demo", "--json");
    expect(p2.code).toBe(0);
    expect(JSON.parse(p2.stdout)).toMatchObject({ name: "demo", version: 2, created: true, current: 2, previous: 1 });
    const same = await so("publish", files.b, "--name", "demo");
    expect(same.stdout).toContain("demo@v2 already holds");
    const quiet = await so("publish", files.a, "--name", "demo", "--no-activate");
    expect(quiet.stdout).toContain("published demo@v3");
    expect(quiet.stdout).toContain("serving demo@v2 (v3 not served: --no-activate)");

    const list = await so("list", "--name", "demo");
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^demo in .*handbooks\.json: serving demo@v2$/);
    expect(lines.slice(1).map((l) => l.slice(0, 7))).toEqual(["  v1   ", "* v2   ", "  v3   "]);
    expect((await so("list")).stdout).toBe("demo\n");

    const back = await so("rollback", "--name", "demo");
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^serving demo@v1 \(was v2\) in .*handbooks\.json\n$/);
    const to = await so("rollback", "--name", "demo", "--to", "v3", "--json");
    expect(JSON.parse(to.stdout)).toMatchObject({ name: "demo", from: 1, to: 3 });
    expect(JSON.parse(readFileSync(files.store, "utf8")).kind).toBe("skillorchestra.store");
  }, 120_000);

  it("bad input: one line, exit 2", async () => {
    const cases: [string[], string][] = [
      [["publish", files.notHandbook, "--name", "demo"], `skillorchestra: ${files.notHandbook}: $: `],
      [
        ["publish", join(dir, "missing.json"), "--name", "demo"],
        `skillorchestra: ${join(dir, "missing.json")}: cannot read: ENOENT`,
      ],
      [["publish", files.a, "--name", "no.dots"], `skillorchestra: --name: "no.dots" is not a handbook name`],
      [["list", "--name", "nope"], `skillorchestra: store:nope: no handbook "nope" is published in the store`],
      [["rollback", "--name", "nope"], `skillorchestra: store:nope: no handbook "nope" is published in the store`],
      [["rollback", "--name", "demo", "--to", "v9"], "skillorchestra: store:demo@v9: no version v9 (versions: "],
      [
        ["rollback", "--name", "demo", "--to", "latest"],
        `skillorchestra: --to: "latest" is not a version (want v1, v2, …)`,
      ],
    ];
    const exits = await Promise.all(cases.map(([args]) => so(...args)));
    for (const [i, [args, start]] of cases.entries()) {
      const r = exits[i]!;
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(r.stderr.startsWith(start), `${args.join(" ")}: ${r.stderr}`).toBe(true);
    }
  }, 120_000);

  it("run --handbook store:NAME serves the published version, and each decision names it", async () => {
    const server = await startOpenAIServer(() => ({ kind: "reply", content: "Paris" }));
    try {
      const pool = join(dir, "pool.json");
      writeFileSync(
        pool,
        JSON.stringify({
          agents: [
            {
              id: "x",
              modes: ["answer"],
              provider: "openai",
              model: "m",
              price: { inputPer1M: 1, outputPer1M: 1 },
              openai: { baseURL: server.url, apiKeyEnv: "REGISTRY_RUN_KEY" },
            },
          ],
        }),
      );
      // Published in this process (the publish command has its own test above); one subprocess runs the task.
      const store = new FileStore(files.store);
      await publishHandbook(store, "served", readPublication(files.a));
      const r = await startCli(
        [
          "run",
          "--handbook",
          "store:served",
          "--store",
          files.store,
          "--pool",
          pool,
          "--db",
          join(dir, "threads.sqlite"),
          "--json",
          "What is the capital of France?",
        ],
        { REGISTRY_RUN_KEY: "k" },
      ).done;
      expect(r.code, r.stderr).toBe(0);
      const state = JSON.parse(r.stdout);
      expect(state.finalAnswer).toBe("Paris");
      expect(state.decisions[0].handbookVersion).toBe("served@v1");
    } finally {
      await server.close();
    }
  });
});
