// Opens the HTML report in Debian's headless Chromium (driven by playwright-core) and checks what rendered.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouterComparison } from "../../src/eval/evaluate.js";
import { headline, heatMapRows, renderReport } from "../../src/eval/report-html.js";
import { bigHandbook, crowdedEvaluation, fixtureEvaluation, fixtureHandbook } from "./report-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "so-eval-report-"));
const handbook = fixtureHandbook();
let evaluation: RouterComparison;
let context: BrowserContext;
let page: Page;
/** The crowded report (many λ and families, a large skill tree) at 1400 px wide. */
let crowded: Page;
let crowdedEval: RouterComparison;
const VIEWPORT = { width: 1400, height: 900 };
const consoleErrors: string[] = [];
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} not found: the HTML report test needs Debian's chromium (apt-get install -y chromium)`,
    );
  evaluation = await fixtureEvaluation();
  const file = join(dir, "report.html");
  writeFileSync(file, renderReport({ title: "fixture report", handbook, evaluation }));
  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1200, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(err.message));
  page.on("request", (r) => requests.push(r.url()));
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  crowdedEval = await crowdedEvaluation();
  const crowdedFile = join(dir, "crowded.html");
  writeFileSync(
    crowdedFile,
    renderReport({ title: "crowded report", handbook: bigHandbook(), evaluation: crowdedEval }),
  );
  crowded = await context.newPage();
  await crowded.setViewportSize(VIEWPORT);
  crowded.on("pageerror", (err) => consoleErrors.push(err.message));
  await crowded.goto(pathToFileURL(crowdedFile).href, { waitUntil: "load" });
}, 60_000);

afterAll(async () => {
  await context?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("HTML report in headless Chromium", () => {
  it("draws one point per router row and one vertex per frontier point, inside the plot", async () => {
    const plot = page.locator('svg[data-plot="accuracy-cost"]');
    const box = (await plot.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    const points = page.locator("[data-point]");
    // ours at three λ, then the baselines and bounds (the set evaluate builds).
    expect(evaluation.rows.filter((r) => r.kind === "ours")).toHaveLength(3);
    expect(await points.count()).toBe(evaluation.rows.length);
    const ids = await points.evaluateAll((els) => els.map((e) => e.getAttribute("data-router")));
    expect(ids).toEqual(evaluation.rows.map((r) => r.id));
    for (const p of await points.all()) {
      const b = (await p.boundingBox())!;
      expect(b.width).toBeGreaterThan(0);
      expect(b.x).toBeGreaterThanOrEqual(box.x);
      expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
      expect(b.y).toBeGreaterThanOrEqual(box.y);
      expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height);
    }
    // Ours' frontier: two vertices (λ = 0.4 ties λ = 0; λ = 1 is cheaper); one per vertex of every frontier.
    const vertices = evaluation.frontiers.reduce((n, f) => n + f.frontier.length, 0);
    expect(await page.locator("[data-frontier-point]").count()).toBe(vertices);
    expect(await page.locator('[data-frontier-point][data-family="ours"]').count()).toBe(2);
    // A point further right costs more: the oracle-cheapest-correct point lies left of the best single agent's.
    const x = async (id: string) => (await page.locator(`[data-point][data-router="${id}"]`).boundingBox())!.x;
    expect(await x("oracle-cheapest-correct")).toBeLessThan(await x("best-single"));
    const y = async (id: string) => (await page.locator(`[data-point][data-router="${id}"]`).boundingBox())!.y;
    expect(await y("oracle")).toBeLessThan(await y("best-single"));
  });

  it("draws a heat map of skill rows × agents with posterior means and evidence on hover", async () => {
    const rows = heatMapRows(handbook);
    // Five skill nodes plus the mode-level row (agent C has a mode-level entry), × three agents.
    expect(rows).toHaveLength(6);
    expect(await page.locator("[data-cell]").count()).toBe(18);
    const cell = page.locator('[data-cell][data-agent="A"][data-skill="answer.facts.dates"]');
    expect(await cell.textContent()).toBe("0.67");
    await cell.hover();
    const tip = page.locator("#tip");
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = (await tip.textContent())!;
    expect(text).toContain("posterior mean 0.667");
    expect(text).toContain("3.0 successes, 1.0 failures (4.0 observations");
    // A category sums its sub-skills' evidence: A on answer.facts = dates only → (1 + 3) / (2 + 4).
    expect(await page.locator('[data-cell][data-agent="A"][data-skill="answer.facts"]').getAttribute("data-mean")).toBe(
      "0.6667",
    );
    // No evidence: A on people and the mode row (2); B on dates, math, algebra and the mode row (4); C on all five
    // skill rows (its only entry is mode-level) (5).
    expect(await page.locator("[data-cell][data-unseen]").count()).toBe(11);
  });

  it("draws call-share bars per router whose segments fill the bar", async () => {
    const bars = page.locator("[data-share-bar]");
    expect(await bars.count()).toBe(evaluation.rows.length);
    for (const bar of await bars.all()) {
      const full = (await bar.boundingBox())!.width;
      const widths = await bar
        .locator("[data-share]")
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
      expect(Math.abs(widths.reduce((a, b) => a + b, 0) - full)).toBeLessThan(1.5);
    }
    // Best single: one segment, agent B.
    const best = page.locator('[data-share-bar][data-router="best-single"] [data-share]');
    expect(await best.count()).toBe(1);
    expect(await best.getAttribute("data-agent")).toBe("B");
  });

  it("shows cost bars, the hierarchy with indicators as text, and the estimated-cost label", async () => {
    expect(await page.locator("[data-cost-bar]").count()).toBe(3);
    expect(await page.locator("[data-skill-node]").count()).toBe(5);
    expect(await page.locator('[data-skill-node="answer.facts.dates"] [data-indicator]').allTextContents()).toEqual([
      "a year is asked",
      "<script>alert('x')</script>",
    ]);
    expect(await page.locator("#result").textContent()).toContain("USD/query (estimated)");
  });

  it("opens with the result: the headline and the router table within the first screen, the handbook after the chart", async () => {
    for (const p of [page, crowded]) {
      const top = (sel: string) =>
        p
          .locator(sel)
          .first()
          .evaluate((el) => el.getBoundingClientRect().top + (el.ownerDocument.defaultView?.scrollY ?? 0));
      const viewport = p.viewportSize()!;
      expect(await top("[data-headline-panel]")).toBeLessThan(viewport.height);
      expect(await top("#result table.results:not(.headline-table)")).toBeLessThan(viewport.height);
      expect(await top('svg[data-plot="accuracy-cost"]')).toBeGreaterThan(
        await top("#result table.results:not(.headline-table)"),
      );
      expect(await top("#handbook")).toBeGreaterThan(await top('svg[data-plot="accuracy-cost"]'));
    }
    // The crowded handbook's skill tree is long: the old layout put the evaluation below it.
    expect(await crowded.locator("#handbook").evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(
      2000,
    );
    // The headline names ours, the best single agent and the strongest baseline at comparable cost.
    const hl = headline(crowdedEval)!;
    const routerOf = async (key: string) => crowded.locator(`[data-headline="${key}"]`).getAttribute("data-router");
    expect(await routerOf("ours")).toBe(hl.ours.id);
    expect(await routerOf("best-single")).toBe("best-single");
    expect(await routerOf("baseline")).toBe(hl.baseline!.id);
    expect(await crowded.locator('[data-headline="best-single"] td').last().textContent()).toBe("100%");
  });

  it("labels chart points without overlap, inside the chart, in readable type at 1400 px", async () => {
    for (const [p, ev] of [
      [page, evaluation],
      [crowded, crowdedEval],
    ] as const) {
      const plot = (await p.locator('svg[data-plot="accuracy-cost"]').boundingBox())!;
      const boxes = await p.locator("svg text.plabel").evaluateAll((els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          return {
            x: r.x,
            y: r.y,
            w: r.width,
            h: r.height,
            text: el.textContent ?? "",
            size: parseFloat(el.ownerDocument.defaultView!.getComputedStyle(el).fontSize),
          };
        }),
      );
      expect(boxes.length).toBeGreaterThan(3);
      for (let i = 0; i < boxes.length; i++) {
        const a = boxes[i]!;
        expect(a.size).toBeGreaterThanOrEqual(12);
        expect(a.w).toBeGreaterThan(0);
        expect(a.x).toBeGreaterThanOrEqual(plot.x);
        expect(a.x + a.w).toBeLessThanOrEqual(plot.x + plot.width + 0.5);
        for (let j = i + 1; j < boxes.length; j++) {
          const b = boxes[j]!;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `"${a.text}" overlaps "${b.text}"`).toBe(false);
        }
      }
      // Drawn at its natural size (not shrunk to fit) at this viewport.
      expect(plot.width).toBeGreaterThanOrEqual(1000);
      // Every router is either labelled in the chart or listed under it.
      const labelled = await p
        .locator("svg text.plabel")
        .evaluateAll((els) => els.flatMap((el) => el.getAttribute("data-label-for")!.split(" ")));
      const list = p.locator("[data-unlabelled]");
      const listed = (await list.count()) === 0 ? 0 : Number(await list.getAttribute("data-unlabelled"));
      expect(new Set(labelled).size + listed).toBe(ev.rows.length);
      // Our frontier points are all labelled.
      for (const f of ev.frontiers.filter((x) => x.kind === "ours"))
        for (const v of f.frontier) expect(labelled).toContain(v.id);
    }
  });

  it("is self-contained and error-free, and can be captured", async () => {
    expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
    const shot = join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });
});
