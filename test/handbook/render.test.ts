import { describe, expect, it } from "vitest";
import { renderHandbook } from "../../handbook/render.js";
import { cost, ev, handbookWith } from "./helpers.js";

function sample() {
  const h = handbookWith(["search.facts", "search.facts.dates", "search.facts.people", "code.calc"], {
    big: {
      modes: ["search"],
      competence: { "search.facts.dates": ev(8, 0), "search.facts.people": ev(1, 1), search: ev(1, 0) },
      costs: { search: cost(0.0123) },
    },
    small: { modes: ["search", "code"], competence: { "search.facts.dates": ev(0.5, 0) } },
  });
  h.modes.search!.insights.push(
    {
      type: "transition",
      text: "Search again with a narrower query after an empty result.",
      confidence: 0.9,
      evidence: ["q1"],
    },
    { type: "usage", text: "Rarely useful for arithmetic.", confidence: 0.2, evidence: [] },
  );
  h.skills["search.facts.dates"]!.indicators = ["when did", "in what year"];
  h.agents.big!.strengths = ["exact dates"];
  return h;
}

describe("render", () => {
  it("shows the mode, insights, skills with cues, and per-agent competence and cost", () => {
    const text = renderHandbook(sample(), { modes: ["search"] });
    expect(text.split("\n")).toEqual([
      "## Mode: search",
      "search mode",
      "Insights:",
      "- [transition] Search again with a narrower query after an empty result. (confidence 0.9)",
      "- [usage] Rarely useful for arithmetic. (confidence 0.2)",
      "Skills:",
      "- search.facts: facts — does facts",
      "  - search.facts.dates: dates — does dates",
      "    cues: when did; in what year",
      "  - search.facts.people: people — does people",
      "Agents (competence = posterior mean, n = evidence):",
      "- big: $0.0123/call, n=10; mode 0.85 (n=11.0)", // (1 + 10) / (2 + 11)
      "  strengths: exact dates",
      "  search.facts.dates: 0.90 (n=8.0)",
      "  search.facts.people: 0.50 (n=2.0)",
      "- small: cost unknown; mode 0.60 (n=0.5)",
      "  search.facts.dates: 0.60 (n=0.5)",
    ]);
    expect(renderHandbook(sample())).toContain("## Mode: code");
  });

  it("never exceeds the budget and drops the lowest-value lines first", () => {
    const h = sample();
    const full = renderHandbook(h);
    expect(renderHandbook(h, { budget: full.length })).toBe(full);
    for (let budget = 0; budget <= full.length; budget += 7)
      expect(renderHandbook(h, { budget }).length).toBeLessThanOrEqual(budget);

    const cut = renderHandbook(h, { modes: ["search"], budget: 560 });
    expect(cut.length).toBeLessThanOrEqual(560);
    // The least-evidenced per-skill line goes first; agent summaries and high-confidence insights stay.
    expect(cut).not.toContain("search.facts.dates: 0.60 (n=0.5)");
    expect(cut).toContain("- big: $0.0123/call");
    expect(cut).toContain("- small: cost unknown");
    expect(cut).toContain("[transition]");
    expect(cut).toMatch(/\[\d+ lines omitted for length\]$/);

    const tiny = renderHandbook(h, { modes: ["search"], budget: 20 });
    expect(tiny.length).toBeLessThanOrEqual(20);
    expect(tiny.startsWith("## Mode: search")).toBe(true);
  });
});
