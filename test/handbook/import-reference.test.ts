import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importReferenceHandbook, referenceSkillId } from "../../handbook/import-reference.js";
import { selectAgent } from "../../handbook/select.js";
import { loadHandbook, loadReferenceHandbook, saveHandbook } from "../../handbook/store.js";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "reference-handbook.json");
const NOW = "2025-06-01T00:00:00.000Z";

describe("import of the reference handbook format", () => {
  it("converts skills, evidence (alpha − 1, beta − 1), costs and insights", () => {
    const { handbook: h, warnings } = loadReferenceHandbook(fixture, { now: NOW });
    expect(h.metadata).toMatchObject({
      version: 1,
      handbookVersion: 0,
      createdAt: "2025-05-14T09:30:12.345Z",
      updatedAt: "2025-05-14T10:02:47.120Z",
      prior: { alpha: 1, beta: 1 },
    });
    expect(h.metadata.learning).toEqual({
      reference: {
        version: "v2",
        learning_stats: { num_train_bundles: 20, refinement_rounds: 2 },
        agents: {
          "gpt-5": { mode: "search", model_name: "gpt-5", tools: [], total_attempts: 8, total_successes: 6 },
          "qwen3-32b": {
            mode: "search",
            model_name: "Qwen/Qwen3-32B",
            tools: [],
            total_attempts: 4,
            total_successes: 1,
          },
          "gpt-5-mini": { mode: "answer", model_name: "gpt-5-mini", tools: [], total_attempts: 7, total_successes: 4 },
        },
      },
    });
    expect(Object.keys(h.skills).sort()).toEqual([
      "answer.numeric",
      "answer.numeric.multi_step_arithmetic",
      "answer.numeric.unit_conversion",
      "answer.temporal",
      "answer.temporal.date_lookup",
      "search.entity",
      "search.entity.disambiguation",
      "search.temporal",
      "search.temporal.date_lookup",
      "search.temporal.event_ordering",
    ]);
    expect(h.skills["search.temporal.event_ordering"]).toMatchObject({
      parent: "search.temporal",
      mode: "search",
      indicators: ["which came first"],
      provenance: {
        history: [
          {
            op: "split",
            from: ["search.temporal.date_lookup"],
            at: "2025-05-14T10:02:47.120Z",
            note: "Agents differ on ordering questions.",
          },
          {
            op: "import",
            from: ["search.temporal.event_ordering"],
            at: NOW,
            note: "reference parent: search.temporal.date_lookup",
          },
        ],
      },
    });
    expect(h.skills["search.entity.disambiguation"]!.provenance.history[0]).toEqual({
      op: "merge",
      from: ["search.entity.person_names", "search.entity.place_names"],
      at: "2025-05-14T10:02:47.120Z",
      note: "Indistinguishable competence profiles.",
    });
    expect(h.skills["search.temporal.date_lookup"]!.provenance.discoveredFrom).toEqual(["wiki____12", "wiki____19"]);
    expect(h.skills["answer.numeric"]).toMatchObject({
      name: "numeric",
      provenance: { history: [{ op: "import", note: "category created on import" }] },
    });

    expect(h.agents["gpt-5"]).toEqual({
      modes: ["search"],
      competence: {
        "search.temporal.date_lookup": { successes: 4, failures: 1 },
        "search.temporal.event_ordering": { successes: 2, failures: 0 },
        "search.entity.disambiguation": { successes: 1.5, failures: 0.5 },
      },
      costs: {
        search: {
          meanPromptTokens: 1830.5,
          meanCompletionTokens: 412.25,
          meanCostUsd: 0.00641,
          meanLatencyMs: 2400,
          count: 8,
          estimated: false,
        },
      },
      strengths: ["finds exact dates"],
      weaknesses: ["slow"],
      routingSignals: ["long multi-hop questions"],
    });
    // A bare-prior entry (alpha = beta = 1) is kept as zero evidence: the cascade's category rate counts it.
    expect(h.agents["qwen3-32b"]!.competence["search.temporal.date_lookup"]).toEqual({ successes: 0, failures: 0 });
    expect(h.agents["qwen3-32b"]!.competence["search.entity.disambiguation"]).toEqual({
      successes: 0.5,
      failures: 1.5,
    });
    // Evidence on another mode's skill goes to that skill's copy in the agent's own mode, which the agent alone
    // serves; unknown skills are dropped; no cost data, no costs.
    expect(h.agents["gpt-5-mini"]).toMatchObject({
      modes: ["answer"],
      competence: {
        "answer.numeric.unit_conversion": { successes: 3, failures: 0 },
        "answer.numeric.multi_step_arithmetic": { successes: 1, failures: 3 },
        "answer.temporal.date_lookup": { successes: 1, failures: 0 },
      },
      costs: {},
    });
    expect(h.skills["answer.temporal.date_lookup"]).toMatchObject({
      mode: "answer",
      parent: "answer.temporal",
      name: h.skills["search.temporal.date_lookup"]!.name,
      indicators: h.skills["search.temporal.date_lookup"]!.indicators,
      provenance: {
        history: [
          {
            op: "import",
            from: ["search.temporal.date_lookup"],
            note: "copy of search.temporal.date_lookup in mode answer (agent gpt-5-mini has evidence on it)",
          },
        ],
      },
    });
    expect(h.modes.search!.insights).toEqual([
      {
        type: "transition",
        text: "Search again with the entity's full name when the first results are about a namesake.",
        confidence: 0.8,
        evidence: ["wiki____12", "wiki____40"],
      },
    ]);
    expect(warnings).toEqual([
      '$.modes.search.insights[1]: insight dropped (type "heuristic", empty text: false)',
      "skill numeric.unit conversion renamed answer.numeric.unit_conversion",
      "skill search.temporal.date_lookup of mode search also made in mode answer as answer.temporal.date_lookup (agent gpt-5-mini has evidence on it)",
      "agent gpt-5-mini: competence on unknown skill numeric.removed_skill dropped",
    ]);
  });

  it("gives a handbook that saves, loads and routes", () => {
    const { handbook } = loadReferenceHandbook(fixture, { now: NOW });
    const path = join(mkdtempSync(join(tmpdir(), "handbook-import-")), "h.json");
    const saved = saveHandbook(path, handbook);
    const h = loadHandbook(path);
    expect(h).toEqual(saved);
    const r = selectAgent(h, {
      mode: "search",
      skills: [{ id: "search.temporal.event_ordering", weight: 1 }],
      lambda: 0,
    });
    expect(r.chosen).toBe("gpt-5"); // 3/4 vs 2/5
    expect(
      selectAgent(h, { mode: "search", skills: [{ id: "search.temporal.event_ordering", weight: 1 }], lambda: 1 })
        .chosen,
    ).toBe("qwen3-32b");
  });

  it("fails in one line on unknown modes unless mapped, and on malformed fields", () => {
    const data = JSON.parse(readFileSync(fixture, "utf8"));
    data.modes.web = { mode: "web", description: "", insights: [] };
    expect(() => importReferenceHandbook(data, "ref.json", { now: NOW })).toThrow(
      'ref.json: $.modes.web: unknown mode "web" (expected search, code, answer, or map it with modeMap)',
    );
    const mapped = importReferenceHandbook(data, "ref.json", { now: NOW, modeMap: { web: "search" } });
    expect(mapped.handbook.modes.search!.description).toBe("Retrieve documents from the local Wikipedia index.");

    const bad = JSON.parse(readFileSync(fixture, "utf8"));
    bad.agent_profiles["gpt-5"].skill_competence["search.temporal.date_lookup"].alpha = "five";
    const path = join(mkdtempSync(join(tmpdir(), "handbook-import-")), "bad.json");
    writeFileSync(path, JSON.stringify(bad));
    expect(() => loadReferenceHandbook(path)).toThrow(
      `${path}: $.agent_profiles["gpt-5"].skill_competence["search.temporal.date_lookup"].alpha: Invalid input: expected number, received string`,
    );
  });

  it("maps agent ids outside our alphabet, with a stable hash suffix when cleaned ids collide", () => {
    const data = JSON.parse(readFileSync(fixture, "utf8"));
    const profile = (id: string) => ({ ...data.agent_profiles["gpt-5"], agent_id: id });
    data.agent_profiles = {
      "gpt-4o (azure)": profile("gpt-4o (azure)"),
      "gpt-4o_(azure)": profile("gpt-4o_(azure)"),
      "llama 3.1": profile("llama 3.1"),
      gpt__x: profile("gpt__x"),
      "gpt x!": profile("gpt x!"),
    };
    const { handbook: h, warnings, agentIds } = importReferenceHandbook(data, "ref.json", { now: NOW });
    const hash = (id: string) => createHash("sha256").update(id).digest("hex").slice(0, 6);
    expect(agentIds).toEqual({
      "gpt-4o (azure)": `gpt-4o__azure_-${hash("gpt-4o (azure)")}`,
      "gpt-4o_(azure)": `gpt-4o__azure_-${hash("gpt-4o_(azure)")}`,
      "llama 3.1": "llama_3.1",
      gpt__x: "gpt__x", // already valid: kept; the id that collides with it after clean-up takes the suffix
      "gpt x!": `gpt_x_`,
    });
    expect(Object.keys(h.agents).sort()).toEqual(Object.values(agentIds).sort());
    expect(warnings).toContain(
      `agent "gpt-4o (azure)": imported as gpt-4o__azure_-${hash("gpt-4o (azure)")} (gpt-4o__azure_ is also another agent's id after clean-up)`,
    );
    expect(warnings).toContain('agent "llama 3.1": imported as llama_3.1 (agent ids: letters, digits and ._:/@- only)');
    // The reference id and its totals stay with the agent, where the cascade reads them.
    expect((h.metadata.learning.reference as { agents: Record<string, unknown> }).agents["llama_3.1"]).toMatchObject({
      agent_id: "llama 3.1",
      mode: "search",
      total_attempts: 8,
      total_successes: 6,
    });
    // The same mapping whatever the order of the profiles.
    const reversed = { ...data, agent_profiles: Object.fromEntries(Object.entries(data.agent_profiles).reverse()) };
    expect(importReferenceHandbook(reversed, "ref.json", { now: NOW }).agentIds).toEqual(agentIds);
    // Two profiles naming the same agent are still refused.
    const dup = { ...data, agent_profiles: { a: profile("gpt-5"), b: profile("gpt-5") } };
    expect(() => importReferenceHandbook(dup, "ref.json", { now: NOW })).toThrow(
      "ref.json: $.agent_profiles.b.agent_id: duplicate agent gpt-5",
    );
  });

  it("keeps a bare id listed under two modes in both, and routes each mode's agents on their own evidence", () => {
    const data = JSON.parse(readFileSync(fixture, "utf8"));
    data.mode_skill_index.answer.push("search.temporal.event_ordering");
    data.agent_profiles["gpt-5-mini"].skill_competence["search.temporal.event_ordering"] = { alpha: 1, beta: 3 };
    data.agent_profiles["gpt-5-mini"].total_attempts = 0;
    const imported = importReferenceHandbook(data, "ref.json", { now: NOW });
    const h = imported.handbook;
    expect(h.skills["answer.temporal.event_ordering"]).toMatchObject({ mode: "answer", parent: "answer.temporal" });
    expect(imported.warnings).toContain(
      "skill search.temporal.event_ordering of mode search also made in mode answer as answer.temporal.event_ordering (mode_skill_index.answer lists it)",
    );
    expect(referenceSkillId(imported, "search.temporal.event_ordering", "answer")).toBe(
      "answer.temporal.event_ordering",
    );
    expect(referenceSkillId(imported, "temporal.unknown", "answer")).toBe("answer.temporal.unknown");
    // Search's candidates are search's agents only; answer's agent is judged on its answer-mode entry.
    const one = (mode: "search" | "answer") =>
      selectAgent(h, {
        mode,
        strategy: "cascade",
        skills: [{ id: referenceSkillId(imported, "search.temporal.event_ordering", mode), weight: 1 }],
      });
    expect(one("search").candidates.map((c) => c.agent)).toEqual(["gpt-5", "qwen3-32b"]);
    const answer = one("answer");
    expect(answer.candidates.map((c) => [c.agent, c.perSkill[0]!.evidence])).toEqual([
      ["gpt-5-mini", { successes: 0, failures: 2 }],
    ]);
    expect(answer.chosen).toBe("gpt-5-mini");
  });
});
