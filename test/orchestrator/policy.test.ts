import { describe, expect, it } from "vitest";
import { createHandbook, viewAtDepth, type Handbook } from "../../handbook/index.js";
import { chooseModeOffline, modeRelevance, offlineChoice, type PolicyInput } from "../../graphs/orchestrator/policy.js";

const at = "2026-01-01T00:00:00.000Z";
function skill(id: string, mode: "search" | "code" | "answer", examples: string[], indicators: string[] = []) {
  return { id, name: id, description: "", indicators, examples, mode, provenance: { discoveredFrom: [], history: [] } };
}

/** Capital questions used search then answer; sums used code then answer. */
function handbook(): Handbook {
  const h = createHandbook({ now: at });
  const capital = [
    "Which city is the capital of Lanonia?",
    "What is the capital city of Vasora?",
    "Name the capital of Ryport.",
  ];
  const sums = [
    "How many apples are left if 12 of 30 are sold?",
    "How many rolls does a bakery sell in 5 days at 40 per day?",
  ];
  h.skills = {
    "search.lookup": skill("search.lookup", "search", capital),
    "code.arith": skill("code.arith", "code", sums),
    // Answer skills carry strong indicators: they must not drown the other modes.
    "answer.lookup": skill("answer.lookup", "answer", capital, ["capital", "city", "which", "name"]),
    "answer.arith": skill("answer.arith", "answer", sums, ["many", "how", "sold", "day"]),
  };
  h.agents = {
    a: {
      modes: ["search", "code", "answer"],
      competence: {},
      costs: {},
      strengths: [],
      weaknesses: [],
      routingSignals: [],
    },
  };
  return h;
}

const input = (text: string, over: Partial<PolicyInput> = {}): PolicyInput => ({
  task: { text },
  steps: [],
  documents: [],
  codeResults: [],
  attempts: [],
  available: ["search", "code", "answer"],
  ...over,
});

describe("offline mode choice", () => {
  it("votes by the nearest example queries: a capital question needs search, a sum needs code, both need an answer", () => {
    const h = handbook();
    const cap = modeRelevance(h, "Which city is the capital of Tessaly?");
    // Every example was an answer example, so answer always gets the whole vote; the others split it.
    expect(cap.answer).toBeCloseTo(1, 9);
    expect(cap.search).toBeGreaterThan(0.9);
    expect(cap.code).toBeCloseTo(1 - cap.search, 9);
    const sum = modeRelevance(h, "How many pears are left if 7 of 20 are sold?");
    expect(sum.answer).toBeCloseTo(1, 9);
    expect(sum.code).toBeGreaterThan(0.9);
    expect(sum.search).toBeCloseTo(1 - sum.code, 9);
  });

  it("recognises modes the same way at depth 0, where the skills' examples are folded into their modes", () => {
    const h = handbook();
    const flat = viewAtDepth(h, 0);
    expect(Object.keys(flat.skills)).toEqual([]);
    expect(flat.modes.search?.examples).toEqual(h.skills["search.lookup"]!.examples);
    expect(flat.modes.answer?.indicators).toEqual(["capital", "city", "which", "name", "many", "how", "sold", "day"]);
    for (const text of ["Which city is the capital of Tessaly?", "How many pears are left if 7 of 20 are sold?"])
      expect(modeRelevance(flat, text)).toEqual(modeRelevance(h, text));
    expect(offlineChoice(input("Which city is the capital of Tessaly?"), flat).mode).toBe("search");
  });

  it("searches first, answers once evidence is in, and searches again after a rejected answer", () => {
    const h = handbook();
    const text = "Which city is the capital of Tessaly?";
    const rel = modeRelevance(h, text);
    expect(chooseModeOffline(input(text), rel).mode).toBe("search");
    const searched = input(text, {
      steps: [{ mode: "search" }],
      documents: [{ id: "d", title: "Tessaly", text: "", score: 1 }],
    });
    expect(chooseModeOffline(searched, rel).mode).toBe("answer");
    expect(
      chooseModeOffline(
        { ...searched, steps: [{ mode: "search" }, { mode: "answer" }], attempts: ["I don't know"] },
        rel,
      ).mode,
    ).toBe("search");
    expect(chooseModeOffline(input(text, { available: ["code", "answer"] }), rel).mode).toBe("answer");
  });

  it("runs code until a program succeeds, at most twice", () => {
    const h = handbook();
    const text = "How many pears are left if 7 of 20 are sold?";
    const rel = modeRelevance(h, text);
    expect(chooseModeOffline(input(text), rel).mode).toBe("code");
    const failed = { language: "python" as const, program: "", stdout: "", stderr: "Traceback", exitCode: 1 };
    expect(chooseModeOffline(input(text, { steps: [{ mode: "code" }], codeResults: [failed] }), rel).mode).toBe("code");
    expect(
      chooseModeOffline(
        input(text, { steps: [{ mode: "code" }, { mode: "code" }], codeResults: [failed, failed] }),
        rel,
      ).mode,
    ).toBe("answer");
    const ok = { ...failed, stdout: "13\n", stderr: "", exitCode: 0 };
    expect(chooseModeOffline(input(text, { steps: [{ mode: "code" }], codeResults: [ok] }), rel).mode).toBe("answer");
  });

  it("searches once after a rejected answer when nothing was gathered, even if no example calls for search", () => {
    const none = { search: 0, code: 0, answer: 1 };
    const text = "What is the capital of France?";
    expect(chooseModeOffline(input(text), none).mode).toBe("answer");
    const rejected = input(text, { steps: [{ mode: "answer" }], attempts: ["I cannot tell."] });
    expect(chooseModeOffline(rejected, none)).toMatchObject({
      mode: "search",
      reason: expect.stringMatching(/rejected/),
    });
    const searched = { ...rejected, steps: [{ mode: "answer" as const }, { mode: "search" as const }] };
    expect(chooseModeOffline(searched, none).mode).toBe("answer");
    expect(chooseModeOffline({ ...rejected, available: ["answer"] }, none).mode).toBe("answer");
  });
});

describe("a depth-0 view in the LLM orchestrator's prompt", () => {
  it("keeps the removed skills' cues on the mode", async () => {
    const { renderHandbook } = await import("../../handbook/index.js");
    const text = renderHandbook(viewAtDepth(handbook(), 0), { modes: ["answer"] });
    expect(text).toContain("Cues: capital; city; which; name; many; how; sold; day");
    expect(text).not.toContain("answer.lookup");
  });
});
