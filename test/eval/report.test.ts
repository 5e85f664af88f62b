import { describe, expect, it } from "vitest";
import {
  boxesIntersect,
  COMPARABLE_COST,
  escapeHtml,
  headline,
  heatMapRows,
  placeLabels,
  renderReport,
  textWidth,
} from "../../src/eval/report-html.js";
import { crowdedEvaluation, fixtureEvaluation, fixtureHandbook } from "./report-fixture.js";

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe("renderReport", () => {
  it("is one self-contained document: inline style and script, no external URL", async () => {
    const html = renderReport({ handbook: fixtureHandbook(), evaluation: await fixtureEvaluation() });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).toContain("<script>");
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*stylesheet/i);
    expect(html).not.toMatch(/url\(/i);
  });

  it("marks one heat-map cell per (skill row, agent), one point per router row, one bar per router", async () => {
    const h = fixtureHandbook();
    const ev = await fixtureEvaluation();
    const html = renderReport({ handbook: h, evaluation: ev });
    expect(heatMapRows(h).map((r) => r.id)).toEqual([
      "answer.facts",
      "answer.facts.dates",
      "answer.facts.people",
      "answer.math",
      "answer.math.algebra",
      "answer",
    ]);
    expect(count(html, /<td data-cell /g)).toBe(6 * 3);
    expect(count(html, /<circle data-point /g)).toBe(ev.rows.length);
    expect(count(html, /<circle data-frontier-point /g)).toBe(ev.frontiers.reduce((n, f) => n + f.frontier.length, 0));
    expect(count(html, /data-share-bar /g)).toBe(ev.rows.length);
    expect(count(html, /<rect data-cost-bar /g)).toBe(3);
  });

  it("shows each router's count of chosen agents with no record (misses)", async () => {
    const ev = await fixtureEvaluation();
    const holey = {
      ...ev,
      rows: ev.rows.map((r, i) => (i === 0 ? { ...r, missing: { ...r.missing, mean: 3, min: 3, max: 3 } } : r)),
    };
    const html = renderReport({ evaluation: holey });
    expect(html).toContain(
      '<th title="queries where the router chose an agent with no record: scored as misses">missing</th>',
    );
    expect(count(html, /data-missing="/g)).toBe(ev.rows.length);
    expect(html).toContain('data-missing="3"');
  });

  it("escapes text from the handbook and the records", async () => {
    const h = fixtureHandbook();
    h.skills["answer.math"]!.name = `Math "&" <b>`;
    const html = renderReport({ title: "<i>t</i>", handbook: h });
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(html).toContain("Math &quot;&amp;&quot; &lt;b&gt;");
    expect(html).toContain("<title>&lt;i&gt;t&lt;/i&gt;</title>");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("renders either panel alone, and says so when there is nothing", async () => {
    const onlyEval = renderReport({ evaluation: await fixtureEvaluation() });
    expect(onlyEval).toContain('id="evaluation"');
    expect(onlyEval).not.toContain('id="handbook"');
    const onlyHandbook = renderReport({ handbook: fixtureHandbook() });
    expect(onlyHandbook).toContain('id="handbook"');
    expect(onlyHandbook).not.toContain("data-point");
    expect(renderReport({})).toContain("Nothing to report");
  });

  it("is deterministic for the same input", async () => {
    const ev = await fixtureEvaluation();
    expect(renderReport({ handbook: fixtureHandbook(), evaluation: ev })).toBe(
      renderReport({ handbook: fixtureHandbook(), evaluation: ev }),
    );
  });
});

describe("headline", () => {
  it("names our most accurate row, the best single agent and the strongest baseline costing at most 110% of ours", async () => {
    const ev = await crowdedEvaluation();
    const hl = headline(ev)!;
    const ours = ev.rows.filter((r) => r.kind === "ours");
    expect(hl.ours.accuracy.mean).toBe(Math.max(...ours.map((r) => r.accuracy.mean)));
    expect(hl.bestSingle!.family).toBe("best-single");
    expect(hl.expensive.agent).toBe("gpt-4-1106-preview");
    expect(hl.expensive.cost).toBeCloseTo(0.03, 12);
    const limit = hl.ours.meanCostUsd.mean * COMPARABLE_COST;
    expect(hl.baseline!.kind).toBe("baseline");
    expect(hl.baseline!.meanCostUsd.mean).toBeLessThanOrEqual(limit);
    for (const r of ev.rows.filter(
      (r) => r.kind === "baseline" && r.family !== "best-single" && r.meanCostUsd.mean <= limit,
    ))
      expect(r.accuracy.mean).toBeLessThanOrEqual(hl.baseline!.accuracy.mean);
    const html = renderReport({ evaluation: ev });
    expect(html).toContain(`data-headline="ours" data-router="${hl.ours.id}"`);
    // The result (headline and router table) comes before the chart, the chart before the handbook.
    const full = renderReport({ handbook: fixtureHandbook(), evaluation: ev });
    const at = (s: string) => full.indexOf(s);
    expect(at("data-headline-panel")).toBeGreaterThan(0);
    expect(at("data-headline-panel")).toBeLessThan(at('<table class="results">'));
    expect(at('<table class="results">')).toBeLessThan(at('data-plot="accuracy-cost"'));
    expect(at('data-plot="accuracy-cost"')).toBeLessThan(at('id="handbook"'));
  });

  it("says so when no baseline costs comparably, and is absent without a router of ours", async () => {
    const ev = await crowdedEvaluation();
    const cheapOurs = {
      ...ev,
      rows: ev.rows.map((r) => (r.kind === "ours" ? { ...r, meanCostUsd: { ...r.meanCostUsd, mean: 1e-9 } } : r)),
    };
    expect(headline(cheapOurs)!.baseline).toBeUndefined();
    expect(renderReport({ evaluation: cheapOurs })).toContain("no baseline costs at most 110% of ours");
    const noOurs = { ...ev, rows: ev.rows.filter((r) => r.kind !== "ours") };
    expect(headline(noOurs)).toBeUndefined();
    expect(renderReport({ evaluation: noOurs })).not.toContain("data-headline-panel");
  });
});

describe("placeLabels", () => {
  const bounds = { x: 0, y: 0, w: 400, h: 300 };
  it("gives labels of points on the same spot distinct, non-overlapping boxes inside the bounds", () => {
    const reqs = Array.from({ length: 6 }, (_, i) => ({ x: 200, y: 150, text: `router number ${i}` }));
    const placed = placeLabels(reqs, { bounds, obstacles: [], fontSize: 12 });
    const boxes = placed.filter((p) => p !== null).map((p) => p!.box);
    expect(boxes.length).toBe(6);
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i]!;
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w).toBeLessThanOrEqual(400);
      for (let j = i + 1; j < boxes.length; j++) expect(boxesIntersect(b, boxes[j]!)).toBe(false);
    }
    // The first label sits right of its point, without a leader line; later ones move out.
    expect(placed[0]!.box.x).toBeGreaterThan(200);
    expect(placed[0]!.leader).toBe(false);
  });

  it("avoids obstacles, and leaves out a label with no room", () => {
    const obstacle = { x: 205, y: 0, w: 195, h: 300 };
    const [right] = placeLabels([{ x: 200, y: 150, text: "label" }], { bounds, obstacles: [obstacle], fontSize: 12 });
    expect(right!.box.x + right!.box.w).toBeLessThanOrEqual(205);
    const everything = { x: 0, y: 0, w: 400, h: 300 };
    expect(placeLabels([{ x: 200, y: 150, text: "label" }], { bounds, obstacles: [everything], fontSize: 12 })).toEqual(
      [null],
    );
  });

  it("estimates wider boxes for longer and wider text", () => {
    expect(textWidth("mmmm", 12)).toBeGreaterThan(textWidth("iiii", 12));
    expect(textWidth("ours (posterior mean) λ=0.1", 12)).toBeGreaterThan(textWidth("ours λ=0.1", 12));
  });
});

describe("skill names in the report", () => {
  it("shows two skills that share a name apart (the later one qualified by an indicator), and leaves distinct names alone", () => {
    const h = fixtureHandbook();
    expect(heatMapRows(h).map((r) => r.label)).toEqual([
      "Facts",
      "Dates",
      "People",
      "Math",
      "Algebra",
      "answer (mode level)",
    ]);
    h.skills["answer.math.algebra"]!.name = "Math";
    const labels = heatMapRows(h).map((r) => r.label);
    expect(labels).toEqual(["Facts", "Dates", "People", "Math", "Math (solve for x)", "answer (mode level)"]);
    const html = renderReport({ handbook: h });
    expect(html).toContain(`<span class="skill-name">Math (solve for x)</span>`);
    expect(count(html, /<span class="skill-name">Math<\/span>/g)).toBe(1);
  });
});
