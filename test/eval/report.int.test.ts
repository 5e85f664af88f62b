// Opens the HTML report in Debian's headless Chromium (driven by playwright-core) and checks what rendered.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../../src/eval/evaluate.js";
import { heatMapRows, renderReport } from "../../src/eval/report-html.js";
import { fixtureEvaluation, fixtureHandbook } from "./report-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "so-eval-report-"));
const handbook = fixtureHandbook();
let evaluation: Evaluation;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: the HTML report test needs Debian's chromium (apt-get install -y chromium)`);
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
    // ours and kNN at three λ each, then 7 single-setting routers.
    expect(evaluation.rows).toHaveLength(13);
    expect(await points.count()).toBe(13);
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
    // Frontiers of ours and kNN: two vertices each (λ = 0.4 ties λ = 0; λ = 1 is cheaper).
    const vertices = evaluation.frontiers.reduce((n, f) => n + f.frontier.length, 0);
    expect(vertices).toBe(4);
    expect(await page.locator("[data-frontier-point]").count()).toBe(4);
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
    expect(await page.locator('[data-cell][data-agent="A"][data-skill="answer.facts"]').getAttribute("data-mean")).toBe("0.6667");
    // No evidence: A on people and the mode row (2); B on dates, math, algebra and the mode row (4); C on all five
    // skill rows (its only entry is mode-level) (5).
    expect(await page.locator("[data-cell][data-unseen]").count()).toBe(11);
  });

  it("draws call-share bars per router whose segments fill the bar", async () => {
    const bars = page.locator("[data-share-bar]");
    expect(await bars.count()).toBe(13);
    for (const bar of await bars.all()) {
      const full = (await bar.boundingBox())!.width;
      const widths = await bar.locator("[data-share]").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
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
    expect(await page.locator("#evaluation").textContent()).toContain("USD/query (estimated)");
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
