import { describe, expect, it } from "vitest";
import { escapeHtml, heatMapRows, renderReport } from "../../src/eval/report-html.js";
import { fixtureEvaluation, fixtureHandbook } from "./report-fixture.js";

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
    expect(count(html, /<circle data-frontier-point /g)).toBe(4);
    expect(count(html, /data-share-bar /g)).toBe(ev.rows.length);
    expect(count(html, /<rect data-cost-bar /g)).toBe(3);
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
    expect(renderReport({ handbook: fixtureHandbook(), evaluation: ev })).toBe(renderReport({ handbook: fixtureHandbook(), evaluation: ev }));
  });
});
