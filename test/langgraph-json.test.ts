import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CompiledStateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(resolve(ROOT, "langgraph.json"), "utf8")) as {
  graphs?: Record<string, string>;
  env?: unknown;
  dockerfile_lines?: string[];
};
const graphs = Object.entries(config.graphs ?? {});

describe("langgraph.json", () => {
  it("declares the orchestrator graph", () => {
    expect(config.graphs?.orchestrator).toBeDefined();
  });

  it.each(graphs)(
    "graph %s points at an existing file that exports a compiled graph of that name",
    async (id, spec) => {
      const colon = spec.lastIndexOf(":");
      expect(colon, `${id}: "${spec}" has no ":export"`).toBeGreaterThan(0);
      const file = resolve(ROOT, spec.slice(0, colon));
      const exportName = spec.slice(colon + 1);
      expect(existsSync(file), `${id}: ${file} does not exist`).toBe(true);
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const graph = mod[exportName] as
        | { invoke?: unknown; stream?: unknown; getGraph?: unknown; name?: unknown }
        | undefined;
      expect(graph, `${id}: ${file} does not export ${exportName}`).toBeDefined();
      expect(graph).toBeInstanceOf(CompiledStateGraph);
      expect(typeof graph!.invoke).toBe("function");
      expect(typeof graph!.stream).toBe("function");
      expect(typeof graph!.getGraph).toBe("function");
      expect(graph!.name).toBe(id);
    },
  );

  it("gives the server the simulated example as its environment's defaults: an object of files that exist", () => {
    // An object, not a file name: `langgraphjs dev` on a fresh clone (no .env) still has them, and a variable set in
    // the server's environment wins over them.
    expect(config.env).toEqual({
      SKILLORCHESTRA_HANDBOOK: "examples/sim/handbook.json",
      SKILLORCHESTRA_POOL: "examples/sim/pool.json",
    });
    for (const file of Object.values(config.env as Record<string, string>))
      expect(existsSync(resolve(ROOT, file)), file).toBe(true);
  });

  it("sets the same defaults in the image (the Dockerfile does not read env), and nothing else there", () => {
    const env = config.env as Record<string, string>;
    expect(config.dockerfile_lines).toEqual(Object.entries(env).map(([k, v]) => `ENV ${k}=${v}`));
  });
});
