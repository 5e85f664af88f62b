import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { loadHandbook, saveHandbook } from "../../handbook/store.js";
import { cost, ev, handbookWith, T0 } from "./helpers.js";

function sample() {
  const h = handbookWith(["search.a", "search.a.x", "code.c"], {
    "gpt-5": {
      modes: ["search", "code"],
      competence: { "search.a.x": ev(2.5, 1), "code.c": ev(1, 0) },
      costs: { search: cost(0.01) },
    },
  });
  h.modes.search!.insights.push({
    type: "transition",
    text: "search before answering",
    confidence: 0.8,
    evidence: ["q1"],
  });
  return h;
}

const dir = mkdtempSync(join(tmpdir(), "handbook-store-"));

/** Write `mutate(sample as JSON)` to a file and return the load error message. */
function loadError(name: string, mutate: (j: any) => void): string {
  const j = JSON.parse(JSON.stringify(sample()));
  mutate(j);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(j));
  try {
    loadHandbook(path);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).not.toContain("\n");
    return msg.slice(path.length);
  }
  throw new Error("expected the load to fail");
}

describe("store", () => {
  it("round-trips and bumps handbookVersion and updatedAt on every save", () => {
    const path = join(dir, "h.json");
    const h = sample();
    const s1 = saveHandbook(path, h, "2025-03-01T00:00:00.000Z");
    expect(s1.metadata.handbookVersion).toBe(1);
    expect(s1.metadata.updatedAt).toBe("2025-03-01T00:00:00.000Z");
    expect(s1.metadata.createdAt).toBe(T0);
    expect(h.metadata.handbookVersion).toBe(0);
    const l1 = loadHandbook(path);
    expect(l1).toEqual(s1);
    const s2 = saveHandbook(path, l1);
    expect(s2.metadata.handbookVersion).toBe(2);
    expect(loadHandbook(path)).toEqual(s2);
    expect(readFileSync(path, "utf8").endsWith("}\n")).toBe(true);
  });

  it("refuses to save an inconsistent handbook", () => {
    const h = sample();
    h.agents["gpt-5"]!.competence["search.zzz"] = ev(1, 1);
    expect(() => saveHandbook(join(dir, "bad-save.json"), h)).toThrow(
      `${join(dir, "bad-save.json")}: $.agents["gpt-5"].competence["search.zzz"]: unknown skill search.zzz`,
    );
  });

  it("names the file and the JSON path of the first bad field, in one line", () => {
    expect(loadError("schema.json", (j) => (j.modes.search.insights[0].confidence = 2))).toBe(
      ": $.modes.search.insights[0].confidence: Too big: expected number to be <=1",
    );
    expect(loadError("mode-key.json", (j) => (j.modes.web = { description: "" }))).toBe(
      ": $.modes.web: unknown mode (expected one of search, code, answer)",
    );
    expect(loadError("version.json", (j) => (j.metadata.version = 2))).toBe(
      ": $.metadata.version: Invalid input: expected 1",
    );
    expect(loadError("evidence.json", (j) => (j.agents["gpt-5"].competence["search.a.x"].failures = -1))).toBe(
      ': $.agents["gpt-5"].competence["search.a.x"].failures: Too small: expected number to be >=0',
    );
    expect(loadError("parent.json", (j) => delete j.skills["search.a"])).toBe(
      ': $.skills["search.a.x"].parent: unknown skill search.a',
    );
    expect(loadError("skill-mode.json", (j) => delete j.modes.code)).toBe(
      ': $.skills["code.c"].mode: unknown mode code',
    );
    expect(loadError("key.json", (j) => (j.skills["search.a"].id = "search.b"))).toBe(
      ': $.skills["search.a"].id: id search.b differs from its key search.a',
    );
    expect(
      loadError("competence.json", (j) => (j.agents["gpt-5"].competence["search.q"] = { successes: 1, failures: 0 })),
    ).toBe(': $.agents["gpt-5"].competence["search.q"]: unknown skill search.q');
    expect(
      loadError("agent-mode.json", (j) => {
        j.agents["gpt-5"].modes = ["search", "answer"];
        delete j.agents["gpt-5"].competence["code.c"];
        delete j.modes.answer;
      }),
    ).toBe(': $.agents["gpt-5"].modes[1]: unknown mode answer');
    expect(loadError("served.json", (j) => (j.agents["gpt-5"].modes = ["search"]))).toBe(
      ': $.agents["gpt-5"].competence["code.c"]: agent does not serve mode code',
    );
    expect(loadError("skill-id.json", (j) => (j.skills["search.a"].id = "web.a"))).toBe(
      ': $.skills["search.a"].id: skill id: mode.category[.skill...], segments of letters, digits, _ and - only',
    );
  });

  it("reports unreadable and non-JSON files in one line", () => {
    const path = join(dir, "garbage.json");
    writeFileSync(path, "{ not json");
    expect(() => loadHandbook(path)).toThrow(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: \\$: invalid JSON: `),
    );
    expect(() => loadHandbook(join(dir, "missing.json"))).toThrow(`${join(dir, "missing.json")}: cannot read: ENOENT`);
  });
});
