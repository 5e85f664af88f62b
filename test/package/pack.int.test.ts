/**
 * skillorchestra as an npm package: `npm pack` (its prepack builds dist/ once per run), a fresh project in a temporary
 * folder that installs the tarball without the network, then in that project (a) plain node (no tsx) imports
 * `skillorchestra` and runs a task on a sim pool to an answer, the same as the sources do, (b) tsc with strict
 * settings and skipLibCheck off type-checks a consumer of the public API, and rejects a wrong use of it, (c) the
 * installed `skillorchestra --version` runs; and the sandbox runs a program from the installed files.
 *
 * The install: `npm install --offline` cannot resolve a fresh project's dependencies from the npm cache that
 * `npm ci` filled, because `npm ci` fetches tarballs only, never the registry's package documents that resolution
 * reads (ENOTCACHED). So the fresh project gets a lockfile: the tarball plus the project's own lockfile entries for
 * what the package needs at run time (and @types/node for its type check), and `npm ci --offline` installs every one
 * from the cache by its integrity. Install scripts are skipped (--ignore-scripts): the only one, better-sqlite3's,
 * compiles SQLite from source offline (over a minute on two cores), and nothing here opens a SQLite checkpoint.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { saveHandbook } from "../../handbook/index.js";
import { savePool } from "../../src/pool/load.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { createWorld } from "../../src/sim/index.js";
import { handbookWith } from "../handbook/helpers.js";
import { ROOT } from "../support/cli.js";

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program to its end (no shell); its exit code and output, whether it failed or not. */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Exit> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The error of a step that failed: its command and everything it printed. */
function ok(what: string, r: Exit): Exit {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const NPM = "npm";
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
};
/** Plain node: no tsx loader handed down from the test runner. */
const plainEnv: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };

/**
 * The fresh project's package.json and lockfile: the tarball, and the entries of the project's lockfile the package
 * needs at run time (every entry not marked dev), plus @types/node (and its undici-types) for the consumer's tsc.
 */
function consumerProject(dir: string, tarball: string) {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const integrity = `sha512-${createHash("sha512")
    .update(readFileSync(join(dir, tarball)))
    .digest("base64")}`;
  const root = {
    name: "consumer",
    version: "1.0.0",
    dependencies: { [pkg.name]: `file:${tarball}` },
    devDependencies: { "@types/node": pkg.devDependencies["@types/node"]! },
  };
  const typesOnly = new Set(["node_modules/@types/node", "node_modules/undici-types"]);
  const packages: Record<string, unknown> = {
    "": root,
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path !== "" && (!entry.dev || typesOnly.has(path))) packages[path] = entry;
  for (const p of typesOnly) expect(packages[p], `${p} in package-lock.json`).toBeDefined();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ ...root, private: true, type: "module" }, null, 2));
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/** (a) Plain node: the public API on a sim pool, one task, printed as JSON. */
const RUN_MJS = `import { createAgents, createOrchestrator, loadHandbook, loadPool } from "skillorchestra";
const [poolPath, handbookPath, id, text] = process.argv.slice(2);
const warnings = [];
const orchestrator = await createOrchestrator({
  handbook: loadHandbook(handbookPath),
  agents: await createAgents(loadPool(poolPath)),
  onWarning: (w) => warnings.push(w),
});
const state = await orchestrator.invoke({ task: { id, text } });
console.log(JSON.stringify({
  resolved: import.meta.resolve("skillorchestra"),
  finalAnswer: state.finalAnswer,
  stopReason: state.stopReason,
  steps: state.steps.map((s) => [s.mode, s.agent]),
  warnings,
}));
`;

/** (b) A consumer of the public API, type-checked. */
const CONSUMER_TS = `import {
  createAgents,
  createOrchestrator,
  InputError,
  LocalSearch,
  loadHandbook,
  loadPool,
  readCorpus,
  type Handbook,
  type OnWarning,
  type OrchestratorStateType,
  type Pool,
  type SearchBackend,
} from "skillorchestra";
import * as api from "skillorchestra";

export const exported: number = Object.keys(api).length;

export async function solve(poolPath: string, handbookPath: string, corpusPath: string, text: string): Promise<string> {
  const pool: Pool = loadPool(poolPath);
  const handbook: Handbook = loadHandbook(handbookPath);
  const search: SearchBackend = LocalSearch.fromDocuments((await readCorpus(corpusPath)).documents);
  const warnings: string[] = [];
  const onWarning: OnWarning = (w) => warnings.push(w);
  const orchestrator = await createOrchestrator({ handbook, agents: await createAgents(pool), search, onWarning, defaults: { lambda: 0.3 } });
  const state = (await orchestrator.invoke({ task: { id: "q1", text } })) as OrchestratorStateType;
  if (state.finalAnswer === null) throw new InputError(\`no answer: \${state.stopReason}\`);
  return \`\${state.finalAnswer} (\${state.costUsd} USD, \${warnings.length} warnings)\`;
}
`;

/** A wrong use of the same API: tsc must reject it (so the check above is not vacuous). */
const WRONG_TS = `import { createOrchestrator } from "skillorchestra";
await createOrchestrator({ handbook: 42, pool: undefined });
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2023"],
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
  },
};

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

const world = createWorld({ seed: 7 });
const pool = world.pool();
const handbook = handbookWith([], Object.fromEntries(pool.agents.map((a) => [a.id, { modes: a.modes }])));
const task = world.tasks(24, "test").find((t) => t.family === "definition")!;

let dir: string;
let consumer: string;
let tarball: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-pack-"));
  consumer = join(dir, "consumer");
  mkdirSync(consumer);
  ok("npm pack", await run(NPM, ["pack", "--pack-destination", consumer, "--silent"], ROOT));
  const tarballs = readdirSync(consumer).filter((f) => f.endsWith(".tgz"));
  expect(tarballs).toEqual([`${pkg.name}-${pkg.version}.tgz`]);
  tarball = tarballs[0]!;
  consumerProject(consumer, tarball);
  ok(
    "npm ci --offline (the consumer)",
    await run(NPM, ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], consumer),
  );
  savePool(join(dir, "pool.json"), pool);
  saveHandbook(join(dir, "handbook.json"), handbook);
  writeFileSync(join(dir, "corpus.jsonl"), `${world.corpus.map((d) => JSON.stringify(d)).join("\n")}\n`);
  writeFileSync(join(consumer, "run.mjs"), RUN_MJS);
  writeFileSync(join(consumer, "consumer.ts"), CONSUMER_TS);
  writeFileSync(join(consumer, "wrong.ts"), WRONG_TS);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the packed skillorchestra, installed in a fresh project", () => {
  it("packs only what a consumer needs: the build, the command, the README and package.json", async () => {
    const files = ok("tar", await run("tar", ["tzf", join(consumer, tarball)], consumer))
      .stdout.trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    const tops = new Set(files.map((f) => f.split("/")[0]));
    expect([...tops].sort()).toEqual(["README.md", "bin", "dist", "package.json"]);
    expect(files).toContain("dist/src/index.js");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("dist/src/cli/main.js");
    // The sandbox's helper is compiled from this source on first use.
    expect(files).toContain("dist/tools/code/sandbox-exec.c");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(existsSync(join(consumer, "node_modules", pkg.name, "src"))).toBe(false);
  });

  it("(a) plain node imports it and runs a task on a sim pool to the answer the sources give", async () => {
    const r = ok(
      "node run.mjs",
      await run(
        process.execPath,
        ["run.mjs", join(dir, "pool.json"), join(dir, "handbook.json"), task.id, task.text],
        consumer,
        plainEnv,
      ),
    );
    const got = JSON.parse(r.stdout) as {
      resolved: string;
      finalAnswer: string | null;
      stopReason: string;
      steps: [string, string][];
      warnings: string[];
    };
    expect(got.resolved).toBe(`file://${join(consumer, "node_modules", pkg.name, "dist", "src", "index.js")}`);

    const warnings: string[] = [];
    const orchestrator = await createOrchestrator({
      handbook,
      agents: await createAgents(pool),
      onWarning: (w) => warnings.push(w),
    });
    const expected = (await orchestrator.invoke({ task: { id: task.id, text: task.text } })) as OrchestratorStateType;
    expect(expected.stopReason).toBe("answered");
    expect(got.stopReason).toBe(expected.stopReason);
    expect(got.finalAnswer).toBe(expected.finalAnswer);
    expect(got.finalAnswer).toBeTruthy();
    expect(got.steps).toEqual(expected.steps.map((s) => [s.mode, s.agent]));
    // The pool's search agents and no search backend: the one-line warning, through the installed package too.
    expect(warnings).toHaveLength(1);
    expect(got.warnings).toEqual(warnings);
  }, 120_000);

  it("(b) tsc (strict, skipLibCheck off) type-checks a consumer of the public API, and rejects a wrong use", async () => {
    writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify({ ...TSCONFIG, files: ["consumer.ts"] }, null, 2));
    writeFileSync(join(consumer, "tsconfig.wrong.json"), JSON.stringify({ ...TSCONFIG, files: ["wrong.ts"] }, null, 2));
    const good = await run(process.execPath, [TSC, "-p", "tsconfig.json", "--listFiles"], consumer, plainEnv);
    expect(good.stdout.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
    expect(good.code).toBe(0);
    // The package's own declarations were in the check, from the install, not the sources.
    const listed = good.stdout.split("\n");
    expect(listed).toContain(join(consumer, "node_modules", pkg.name, "dist", "src", "index.d.ts"));
    expect(listed.filter((l) => l.startsWith(ROOT) && !l.startsWith(join(ROOT, "node_modules")))).toEqual([]);

    const wrong = await run(process.execPath, [TSC, "-p", "tsconfig.wrong.json"], consumer, plainEnv);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toMatch(/^wrong\.ts\(2,28\): error TS2322: Type 'number' is not assignable/m);
  }, 180_000);

  it("runs a program in the sandbox from the installed files, its seccomp helper built from the packed C source", async () => {
    const code = `import { runProgram } from "./node_modules/${pkg.name}/dist/tools/code/index.js";
const r = await runProgram({ language: "python", source: "print(6 * 7)" });
console.log(JSON.stringify(r));`;
    const r = ok(
      "node --input-type=module",
      await run(process.execPath, ["--input-type=module", "-e", code], consumer, plainEnv),
    );
    const result = JSON.parse(r.stdout) as { stdout: string; exitCode: number; isolation: string[] };
    expect(result.stdout).toBe("42\n");
    expect(result.exitCode).toBe(0);
    expect(result.isolation).toContain("seccomp");
  }, 120_000);

  it("(c) the installed skillorchestra --version runs and prints the package's version", async () => {
    const bin = join(consumer, "node_modules", ".bin", "skillorchestra");
    const r = ok("skillorchestra --version", await run(bin, ["--version"], consumer, plainEnv));
    expect(r.stdout.trim()).toBe(pkg.version);
  }, 60_000);
});
