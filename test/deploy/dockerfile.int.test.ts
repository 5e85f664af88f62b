/**
 * The image a clean clone builds: `npx @langchain/langgraph-cli dockerfile` run on the project (no Docker needed),
 * its Dockerfile read back, and the build context .dockerignore leaves checked. A Node 20 LangGraph.js server image,
 * the project copied in and installed from its lockfile, both graphs registered, and the simulated example's files
 * as the environment's defaults: files the repository holds and the build context keeps.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";
import { parseDockerIgnore } from "./dockerignore.js";

const run = promisify(execFile);

interface LanggraphJson {
  graphs: Record<string, string>;
  env: Record<string, string>;
  dockerfile_lines?: string[];
}
const config = JSON.parse(readFileSync(join(ROOT, "langgraph.json"), "utf8")) as LanggraphJson;
const ignore = parseDockerIgnore(readFileSync(join(ROOT, ".dockerignore"), "utf8"));

let dir = "";
let lines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-dockerfile-"));
  const out = join(dir, "Dockerfile");
  await run("npx", ["@langchain/langgraph-cli", "dockerfile", out], {
    cwd: ROOT,
    env: { ...process.env, LANGGRAPH_CLI_NO_ANALYTICS: "1" },
  });
  lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The ENV instructions of the Dockerfile as a name → value map (values unquoted). */
function envOf(dockerfile: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const l of dockerfile) {
    const m = /^ENV ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, "$1");
  }
  return env;
}

describe("the Dockerfile `langgraph-cli dockerfile` writes for the project", () => {
  it("starts from the Node 20 LangGraph.js server image", () => {
    expect(lines[0]).toBe("FROM langchain/langgraphjs-api:20");
  });

  it("copies the project in and installs it from the lockfile, in the project's directory", () => {
    const workdir = `/deps/${basename(ROOT)}`;
    const add = lines.indexOf(`ADD . ${workdir}`);
    const cd = lines.indexOf(`WORKDIR ${workdir}`);
    const install = lines.indexOf("RUN npm ci");
    expect(add).toBeGreaterThan(0);
    expect(cd).toBeGreaterThan(add);
    expect(install).toBeGreaterThan(cd);
  });

  it("registers both graphs of langgraph.json (LANGSERVE_GRAPHS)", () => {
    const graphs = JSON.parse(envOf(lines).LANGSERVE_GRAPHS ?? "{}") as Record<string, string>;
    expect(Object.keys(graphs).sort()).toEqual(["learning", "orchestrator"]);
    expect(graphs).toEqual(config.graphs);
  });

  it("sets the environment's defaults langgraph.json's env gives the dev server: the simulated example", () => {
    const env = envOf(lines);
    expect(config.env).toEqual({
      SKILLORCHESTRA_HANDBOOK: "examples/sim/handbook.json",
      SKILLORCHESTRA_POOL: "examples/sim/pool.json",
    });
    for (const [name, value] of Object.entries(config.env)) expect(env[name], name).toBe(value);
  });
});

describe("the build context of a clean clone", () => {
  it("holds the files the environment's defaults name: tracked by git and not left out by .dockerignore", async () => {
    const files = Object.values(config.env);
    const { stdout } = await run("git", ["ls-files", "--error-unmatch", ...files], { cwd: ROOT });
    expect(stdout.trim().split("\n").sort()).toEqual([...files].sort());
    for (const f of files) expect(ignore.excludes(f), f).toBe(false);
  });

  it("keeps the sources, the lockfile and examples/, and leaves out what a clone grows", () => {
    for (const kept of [
      "package.json",
      "package-lock.json",
      "langgraph.json",
      "src/deploy/orchestrator.ts",
      "graphs/learning/graph.ts",
      "examples/sim/pool.json",
    ])
      expect(ignore.excludes(kept), kept).toBe(false);
    for (const left of [
      "node_modules/zod/package.json",
      "out/demo/handbook.json",
      ".skillorchestra/threads.sqlite",
      ".langgraph_api/.langgraphjs_ops.json",
      "dist/src/index.js",
      "coverage/index.html",
      "npm-debug.log",
      "test/logs/server.log",
      ".git/HEAD",
      ".env",
    ])
      expect(ignore.excludes(left), left).toBe(true);
  });
});
