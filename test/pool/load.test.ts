import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { InputError } from "../../src/core/errors.js";
import { loadPool, savePool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";

const dir = mkdtempSync(join(tmpdir(), "so-pool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "pools"));

const poolData = {
  name: "mixed",
  agents: [
    {
      id: "gpt",
      modes: ["answer", "search"],
      provider: "openai",
      model: "gpt-x",
      price: { inputPer1M: 1.25, outputPer1M: 10 },
    },
    {
      id: "small",
      modes: ["answer"],
      provider: "replay",
      model: "small-7b",
      price: { inputPer1M: 0.1, outputPer1M: 0.2 },
      replay: { records: "../records/small.jsonl", recordedAs: "small-7b" },
    },
  ],
};
const YAML_TEXT = `name: mixed
agents:
  - id: gpt
    modes: [answer, search]
    provider: openai
    model: gpt-x
    price: { inputPer1M: 1.25, outputPer1M: 10 }
  - id: small
    modes: [answer]
    provider: replay
    model: small-7b
    price: { inputPer1M: 0.1, outputPer1M: 0.2 }
    replay: { records: ../records/small.jsonl, recordedAs: small-7b }
`;

const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("no error");
};

describe("loadPool", () => {
  it("loads JSON and YAML alike, resolving replay paths against the pool file's directory", () => {
    const j = join(dir, "pools", "p.json");
    const y = join(dir, "pools", "p.yaml");
    writeFileSync(j, JSON.stringify(poolData));
    writeFileSync(y, YAML_TEXT);
    const fromJson = loadPool(j);
    expect(loadPool(y)).toEqual(fromJson);
    expect(fromJson.version).toBe(1);
    expect(fromJson.agents[1]!.replay).toEqual({
      records: join(dir, "records", "small.jsonl"),
      recordedAs: "small-7b",
    });
    expect(fromJson.agents[0]!.replay).toBeUndefined();
  });

  it("keeps absolute replay paths", () => {
    const p = join(dir, "abs.yml");
    writeFileSync(p, YAML_TEXT.replace("../records/small.jsonl", "/data/small.jsonl"));
    expect(loadPool(p).agents[1]!.replay!.records).toBe("/data/small.jsonl");
  });

  it("names file and JSON path of an invalid field, on one line", () => {
    const p = join(dir, "bad.yaml");
    writeFileSync(p, YAML_TEXT.replace("inputPer1M: 0.1", "inputPer1M: -1"));
    const err = errorOf(() => loadPool(p));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`^${p}: \\$\\.agents\\[1\\]\\.price\\.inputPer1M: `));
    const noReplay = join(dir, "noreplay.json");
    writeFileSync(noReplay, JSON.stringify({ agents: [{ ...poolData.agents[1], replay: undefined }] }));
    expect(() => loadPool(noReplay)).toThrow(`${noReplay}: $.agents[0].replay: replay agents need replay.records`);
    const dup = join(dir, "dup.json");
    writeFileSync(dup, JSON.stringify({ agents: [poolData.agents[0], poolData.agents[0]] }));
    expect(() => loadPool(dup)).toThrow(`${dup}: $.agents[1].id: duplicate agent id gpt`);
  });

  it("reports unparsable JSON and YAML with their line", () => {
    const j = join(dir, "broken.json");
    writeFileSync(j, '{\n  "agents": [\n}');
    expect(errorOf(() => loadPool(j)).message).toMatch(new RegExp(`^${j}: invalid JSON at line 3, column 1: `));
    const y = join(dir, "broken.yaml");
    writeFileSync(y, "agents: [1,\nname: x\n");
    const err = errorOf(() => loadPool(y));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`^${y}: invalid YAML at line \\d+, column \\d+: `));
    expect(err.message).not.toContain("\n");
  });

  it("rejects unknown extensions and missing files", () => {
    expect(() => loadPool(join(dir, "p.toml"))).toThrow(/p\.toml: unknown pool file extension "\.toml"/);
    const missing = join(dir, "missing.json");
    expect(() => loadPool(missing)).toThrow(`${missing}: cannot read pool file (ENOENT)`);
  });
});

describe("savePool", () => {
  const pool: Pool = {
    version: 1,
    name: "saved",
    agents: [
      {
        id: "small",
        modes: ["answer"],
        provider: "replay",
        model: "small-7b",
        price: { inputPer1M: 0.1, outputPer1M: 0.2 },
        replay: { records: join(dir, "records", "small.jsonl") },
      },
    ],
  };

  it("writes JSON and YAML with replay paths relative to the pool file, and loads back equal", () => {
    for (const name of ["out.json", "out.yaml"]) {
      const p = join(dir, "pools", name);
      savePool(p, pool);
      expect(loadPool(p)).toEqual(pool);
      const text = readFileSync(p, "utf8");
      const raw = (name.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Pool;
      expect(raw.agents[0]!.replay!.records).toBe("../records/small.jsonl");
    }
    expect(readdirSync(join(dir, "pools")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("replaces an existing file whole and refuses an invalid pool without touching the file", () => {
    const p = join(dir, "replace.json");
    savePool(p, pool);
    const before = readFileSync(p, "utf8");
    const bad = { ...pool, agents: [{ ...pool.agents[0]!, modes: [] }] } as unknown as Pool;
    expect(() => savePool(p, bad)).toThrow(/\$\.agents\[0\]\.modes/);
    expect(readFileSync(p, "utf8")).toBe(before);
    savePool(p, { ...pool, name: "renamed" });
    expect(loadPool(p).name).toBe("renamed");
  });
});
