import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The import directions of README.md ("Import directions"): a folder may import only the folders listed for it.
 * Imports inside a folder are free. Type-only and dynamic imports count like any other.
 */
const CORE = "src/core";
const TOOLS = ["tools/answer", "tools/code", "tools/search"];
/** What the graphs may build on. */
const BELOW_GRAPHS = [
  CORE,
  "handbook",
  ...TOOLS,
  "src/pool",
  "src/records",
  "src/providers",
  "src/learning",
  "src/explore",
  "src/registry",
];

const RULES: Record<string, readonly string[]> = {
  [CORE]: [],
  handbook: [CORE],
  // Scoring a code answer (`code_tests`) runs the program against its tests in the sandbox.
  "tools/answer": [CORE, "tools/code"],
  "tools/code": [CORE],
  "tools/search": [CORE],
  "src/pool": [CORE],
  "src/records": [CORE, "src/pool"],
  "src/providers": [CORE, "src/pool", "src/records", ...TOOLS],
  "src/sim": [CORE, "src/pool", "src/providers", ...TOOLS],
  "src/explore": [CORE, "src/pool", "src/records", "src/providers", "src/sim", ...TOOLS, "handbook"],
  "src/learning": [CORE, "handbook", "src/records", "src/pool", "src/providers", ...TOOLS],
  // Published handbooks: versions in a LangGraph store, and the stores themselves.
  "src/registry": [CORE, "handbook"],
  "graphs/orchestrator": BELOW_GRAPHS,
  "graphs/learning": BELOW_GRAPHS,
  "src/eval": [...BELOW_GRAPHS, "src/sim", "graphs/orchestrator", "graphs/learning"],
  "src/cli": [],
  // The deployed graph (langgraph.json): builds any pool's agents, sim ones included.
  "src/deploy": [],
  "src/demo": [],
  "src/index.ts": [],
  bench: [],
  test: [],
};
/** The shipped code: what the CLI, the deployed graph, the demo and the public index may import, and the benchmarks too. */
const PRODUCT = Object.keys(RULES).filter((f) => f !== "bench" && f !== "test");
RULES["src/cli"] = PRODUCT;
RULES["src/deploy"] = PRODUCT;
RULES["src/demo"] = PRODUCT;
RULES["src/index.ts"] = PRODUCT;
RULES.bench = PRODUCT;
RULES.test = [...PRODUCT, "bench"];

/** The folder a file of ours belongs to (src/x, tools/x, graphs/x, handbook, bench, test; src/index.ts alone). */
function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  const top = parts[0]!;
  if (top === "src" || top === "tools" || top === "graphs") return parts.length > 2 ? `${top}/${parts[1]}` : path;
  if (top === "handbook" || top === "bench" || top === "test") return top;
  return undefined;
}

interface Edge {
  from: string;
  to: string;
}

let edges: Edge[] = [];
let unresolved: string[] = [];
let typeOnly = 0;

beforeAll(async () => {
  const result = await cruise(
    ["src", "graphs", "handbook", "tools", "bench"],
    {
      tsPreCompilationDeps: true,
      tsConfig: { fileName: "tsconfig.json" },
      includeOnly: "^(src|graphs|handbook|tools|bench|test)/",
      moduleSystems: ["es6"],
    },
    undefined,
    { tsConfig: extractTSConfig("tsconfig.json") },
  );
  const output = result.output as ICruiseResult;
  edges = [];
  unresolved = [];
  for (const m of output.modules) {
    if (!folderOf(m.source)) continue;
    for (const d of m.dependencies) {
      if (d.couldNotResolve) {
        if (d.module.startsWith(".")) unresolved.push(`${m.source} → ${d.module}`);
        continue;
      }
      if (d.dependencyTypes.includes("type-only")) typeOnly++;
      if (folderOf(d.resolved)) edges.push({ from: m.source, to: d.resolved });
    }
  }
}, 60_000);

describe("import directions", () => {
  it("sees the whole tree, type-only imports included", () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(typeOnly).toBeGreaterThan(50);
    expect(unresolved).toEqual([]);
  });

  it("every folder of ours has a rule", () => {
    const unknown = new Set<string>();
    for (const e of edges) for (const f of [folderOf(e.from)!, folderOf(e.to)!]) if (!(f in RULES)) unknown.add(f);
    expect([...unknown].map((f) => `${f}: no rule in test/house/imports.test.ts`)).toEqual([]);
  });

  it("every import goes in an allowed direction", () => {
    const violations = new Set<string>();
    for (const { from, to } of edges) {
      const a = folderOf(from)!;
      const b = folderOf(to)!;
      const allowed = RULES[a];
      if (a === b || !allowed || allowed.includes(b)) continue;
      violations.add(
        `${from} → ${to}: ${a} may import only ${allowed.length ? allowed.join(", ") : "nothing of ours"}`,
      );
    }
    expect([...violations].sort()).toEqual([]);
  });

  it("no folder imports itself through others", () => {
    const next = new Map<string, Map<string, string>>();
    for (const { from, to } of edges) {
      const a = folderOf(from)!;
      const b = folderOf(to)!;
      if (a === b) continue;
      if (!next.has(a)) next.set(a, new Map());
      if (!next.get(a)!.has(b)) next.get(a)!.set(b, `${from} → ${to}`);
    }
    // Each cycle is reported once, by the shortest path back to its smallest folder.
    const cycles = new Set<string>();
    for (const start of [...next.keys()].sort()) {
      const back = new Map<string, string | null>([[start, null]]);
      let frontier = [start];
      let found: string | undefined;
      while (frontier.length && !found) {
        const following: string[] = [];
        for (const f of frontier) {
          const targets = [...(next.get(f)?.keys() ?? [])].sort();
          if (targets.includes(start)) {
            found = f;
            break;
          }
          for (const g of targets) {
            if (g < start || back.has(g)) continue;
            back.set(g, f);
            following.push(g);
          }
        }
        frontier = following;
      }
      if (!found) continue;
      const path = [start];
      for (let f: string | null = found; f !== start && f !== null; f = back.get(f) ?? null) path.splice(1, 0, f);
      path.push(start);
      const via = path.slice(1).map((f, i) => next.get(path[i]!)!.get(f)!);
      cycles.add(`cycle ${path.join(" → ")} (${via.join("; ")})`);
    }
    expect([...cycles]).toEqual([]);
  });
});
