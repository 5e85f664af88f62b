import { describe, expect, it } from "vitest";
import { modeEvidence, subtreeEvidence } from "../../handbook/competence.js";
import { validateHandbook } from "../../handbook/validate.js";
import { merge, split, subgraph, viewAtDepth } from "../../handbook/views.js";
import { ev, handbookWith } from "./helpers.js";

const IDS = ["search.a", "search.a.x", "search.a.y", "search.a.y.deep", "search.b", "search.b.z", "code.c", "code.c.k"];

// Binary fractions keep every sum exact in floating point.
function sample() {
  return handbookWith(IDS, {
    p: {
      modes: ["search", "code"],
      competence: {
        search: ev(1, 0.5),
        "search.a": ev(0.25, 0.25),
        "search.a.x": ev(2, 1),
        "search.a.y": ev(0.5, 1.5),
        "search.a.y.deep": ev(3, 0.75),
        "search.b.z": ev(1.25, 2),
        "code.c.k": ev(4, 4),
      },
    },
    q: { modes: ["search"], competence: { "search.b": ev(1, 1), "search.b.z": ev(0.5, 0) } },
  });
}

describe("granularity views", () => {
  it("depth 0 pools every skill of the mode into one mode-level entry, exactly", () => {
    const h = sample();
    const v = viewAtDepth(h, 0);
    expect(Object.keys(v.skills)).toEqual([]);
    expect(v.agents.p!.competence).toEqual({ search: ev(8, 6), code: ev(4, 4) });
    expect(v.agents.q!.competence).toEqual({ search: ev(1.5, 1) });
    expect(modeEvidence(v, "p", "search")).toEqual(modeEvidence(h, "p", "search"));
    expect(h.agents.p!.competence["search.a.x"]).toEqual(ev(2, 1)); // the input is untouched
  });

  it("depth 1 sums every deeper skill into its category, exactly", () => {
    const v = viewAtDepth(sample(), 1);
    expect(Object.keys(v.skills).sort()).toEqual(["code.c", "search.a", "search.b"]);
    expect(v.agents.p!.competence).toEqual({
      search: ev(1, 0.5),
      "search.a": ev(0.25 + 2 + 0.5 + 3, 0.25 + 1 + 1.5 + 0.75),
      "search.b": ev(1.25, 2),
      "code.c": ev(4, 4),
    });
    expect(v.agents.q!.competence).toEqual({ "search.b": ev(1.5, 1) });
  });

  it('"all" changes nothing; granularity may differ per mode', () => {
    const h = sample();
    expect(viewAtDepth(h, "all")).toEqual(h);
    const v = viewAtDepth(h, { search: 1, code: 0 });
    expect(Object.keys(v.skills).sort()).toEqual(["search.a", "search.b"]);
    expect(v.agents.p!.competence.code).toEqual(ev(4, 4));
    expect(v.agents.p!.competence["search.a"]).toEqual(ev(5.75, 3.5));
  });

  it("subgraph keeps the chosen skills and their ancestors, and drops the rest with its evidence", () => {
    const h = sample();
    const s = subgraph(h, ["search.a.y.deep"]);
    expect(Object.keys(s.skills).sort()).toEqual(["search.a", "search.a.y", "search.a.y.deep"]);
    expect(s.agents.p!.competence).toEqual({
      search: ev(1, 0.5),
      "search.a": ev(0.25, 0.25),
      "search.a.y": ev(0.5, 1.5),
      "search.a.y.deep": ev(3, 0.75),
    });
    const onlyCode = subgraph(h, ["code.c.k"], ["code"]);
    expect(Object.keys(onlyCode.agents)).toEqual(["p"]);
    expect(onlyCode.agents.p!.modes).toEqual(["code"]);
    expect(Object.keys(onlyCode.modes)).toEqual(["code"]);
    expect(() => subgraph(h, ["search.nope"])).toThrow("subgraph: $.skills[0]: unknown skill search.nope");
  });
});

describe("split", () => {
  const AT = "2025-02-03T04:05:06.000Z";
  it("children take exactly the given evidence, the parent keeps the remainder, subtree totals are unchanged", () => {
    const h = sample();
    const out = split(
      h,
      "search.b.z",
      [
        {
          skill: { id: "search.b.z.one", name: "one", indicators: ["cue"] },
          evidence: { p: ev(1, 0.5), q: ev(0.5, 0) },
        },
        { skill: { id: "search.b.z.two", name: "two" }, evidence: { p: ev(0.25, 1) } },
      ],
      { at: AT, note: "rates differ" },
    );
    expect(out.agents.p!.competence["search.b.z.one"]).toEqual(ev(1, 0.5));
    expect(out.agents.p!.competence["search.b.z.two"]).toEqual(ev(0.25, 1));
    expect(out.agents.p!.competence["search.b.z"]).toEqual(ev(0, 0.5));
    expect(out.agents.q!.competence["search.b.z"]).toBeUndefined(); // fully re-attributed
    expect(out.agents.q!.competence["search.b.z.one"]).toEqual(ev(0.5, 0));
    for (const agent of ["p", "q"]) {
      expect(subtreeEvidence(out, agent, "search.b.z")).toEqual(subtreeEvidence(h, agent, "search.b.z"));
      expect(modeEvidence(out, agent, "search")).toEqual(modeEvidence(h, agent, "search"));
    }
    const child = out.skills["search.b.z.one"]!;
    expect(child).toMatchObject({ parent: "search.b.z", mode: "search", indicators: ["cue"] });
    expect(child.provenance.history).toEqual([{ op: "split", from: ["search.b.z"], at: AT, note: "rates differ" }]);
    expect(out.skills["search.b.z"]!.provenance.history.at(-1)!.note).toBe(
      "split into search.b.z.one, search.b.z.two: rates differ",
    );
    validateHandbook(out, "split result");
    expect(h.skills["search.b.z.one"]).toBeUndefined();
  });

  it("refuses children that take more than the parent holds, bad ids and unknown agents", () => {
    const h = sample();
    expect(() =>
      split(h, "search.b.z", [{ skill: { id: "search.b.z.one", name: "one" }, evidence: { q: ev(0.75, 0) } }]),
    ).toThrow("split: $.children: agent q: the children take 0.75 successes, but search.b.z holds 0.5");
    expect(() => split(h, "search.b.z", [{ skill: { id: "search.b.other", name: "x" }, evidence: {} }])).toThrow(
      "split: $.children[0].skill.id: a child of search.b.z must be search.b.z.<name>, got search.b.other",
    );
    expect(() =>
      split(h, "search.b.z", [{ skill: { id: "search.b.z.one", name: "x" }, evidence: { ghost: ev(1, 0) } }]),
    ).toThrow("split: $.children[0].evidence.ghost: unknown agent ghost");
    expect(() => split(h, "search.nope", [])).toThrow("split: $.skill: unknown skill search.nope");
  });
});

describe("merge", () => {
  const AT = "2025-02-03T04:05:06.000Z";
  it("sums evidence exactly and records provenance", () => {
    const h = sample();
    const out = merge(
      h,
      "search.a.x",
      "search.b.z",
      { id: "search.a.xz", name: "xz" },
      { at: AT, note: "same profile" },
    );
    expect(out.skills["search.a.x"]).toBeUndefined();
    expect(out.skills["search.b.z"]).toBeUndefined();
    expect(out.agents.p!.competence["search.a.xz"]).toEqual(ev(3.25, 3));
    expect(out.agents.q!.competence["search.a.xz"]).toEqual(ev(0.5, 0));
    expect(out.skills["search.a.xz"]).toMatchObject({ parent: "search.a", description: "does x does z" });
    expect(out.skills["search.a.xz"]!.provenance.history).toEqual([
      { op: "merge", from: ["search.a.x", "search.b.z"], at: AT, note: "same profile" },
    ]);
    for (const agent of ["p", "q"])
      expect(modeEvidence(out, agent, "search")).toEqual(modeEvidence(h, agent, "search"));
    // Merging into one of the two ids keeps that id.
    const kept = merge(h, "search.a.x", "search.b.z", { id: "search.a.x", name: "x" }, { at: AT });
    expect(kept.agents.p!.competence["search.a.x"]).toEqual(ev(3.25, 3));
    expect(kept.skills["search.b.z"]).toBeUndefined();
  });

  it("refuses skills with children, different modes and parents that will not exist", () => {
    const h = sample();
    expect(() => merge(h, "search.a.y", "search.a.x", { id: "search.a.m", name: "m" })).toThrow(
      "merge: $.a: search.a.y has children (search.a.y.deep); merge leaves only",
    );
    expect(() => merge(h, "search.a.x", "code.c.k", { id: "search.a.m", name: "m" })).toThrow(
      "merge: $.b: code.c.k is in mode code, search.a.x in search",
    );
    expect(() => merge(h, "search.a.x", "search.b.z", { id: "search.q.m", name: "m" })).toThrow(
      "merge: $.into.id: parent search.q of search.q.m does not exist after the merge",
    );
    expect(() => merge(h, "search.a.x", "search.b.z", { id: "search.b", name: "m" })).toThrow(
      "merge: $.into.id: skill search.b already exists",
    );
  });
});
