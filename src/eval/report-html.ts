import { posteriorMean, subtreeEvidence } from "../../handbook/competence.js";
import type { Handbook, Skill } from "../../handbook/schema.js";
import { describeRule } from "../../handbook/consult.js";
import type { DriftRow } from "../../handbook/online.js";
import { distinctSkillNames } from "../learning/describe.js";
import { MODES } from "../core/modes.js";
import type { RouterComparison, RouterRow } from "./evaluate.js";
import { acceptedShares, anyMultiStep, costQualifier, formatStat, formatUsd, isMultiStep } from "./format.js";

/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, a few lines of inline JS for tooltips; no
 * external URL). Elements carry data attributes so tests and scripts can find them:
 *   [data-cell]            one heat-map cell per (skill row, agent), with data-skill, data-agent, data-mean
 *   [data-cost-bar]        one bar per (agent, mode) with cost statistics
 *   [data-skill-node]      one node of the skill hierarchy
 *   [data-point]           one point per router row of the evaluation, with data-router (the row id)
 *   [data-frontier-point]  one vertex per point on a λ frontier, with data-family
 *   [data-share-bar]       one call-share bar per router row; its segments are [data-share] with data-agent
 *   [data-calls]           the calls-per-query cell of a router row (only when some router is multi-step)
 *   [data-step-row]        one row per (multi-step router row, call index), with data-router and data-step (1-based)
 *   [data-drift-row]       one row per moved (agent, skill) posterior, with data-agent, data-skill, data-delta
 *   [data-tip]             hover text (shown by the inline script)
 */

export interface ReportData {
  title?: string;
  handbook?: Handbook;
  evaluation?: RouterComparison;
  /** Shown in the header (e.g. the command line). */
  subtitle?: string;
  /** ISO time shown in the header; omitted when absent (keeps output reproducible). */
  generatedAt?: string;
  /** The posteriors that moved most from one version to the next (an online update), shown first. */
  drift?: { from: string; to: string; rows: DriftRow[] };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const e = escapeHtml;
const fix = (x: number, d = 3) => x.toFixed(d);

/** A categorical colour for agent i of n. */
function agentColour(i: number, n: number): string {
  const palette = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
  ];
  return n <= palette.length ? palette[i]! : `hsl(${Math.round((i * 360) / n)}, 55%, 55%)`;
}

/** Heat-map colour for a competence in [0, 1]: pale yellow (0) to dark blue (1). */
function heatColour(x: number): string {
  const t = Math.min(1, Math.max(0, x));
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${lerp(255, 8)}, ${lerp(247, 64)}, ${lerp(188, 129)})`;
}

function textOn(x: number): string {
  return x > 0.55 ? "#fff" : "#111";
}

/** Round "nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Handbook panel

interface HeatRow {
  id: string;
  label: string;
  depth: number;
  hasChildren: boolean;
}

/** Skill names as the report shows them: distinct (a name shared by several skills is qualified, see distinctSkillNames). */
export function displayNames(h: Handbook): Map<string, string> {
  return new Map(distinctSkillNames(Object.values(h.skills)).map((s) => [s.id, s.name]));
}

/** The heat map's rows: every skill node (sorted by id, so children follow parents), then mode-level entries. */
export function heatMapRows(h: Handbook): HeatRow[] {
  const ids = Object.keys(h.skills).sort();
  const names = displayNames(h);
  const rows: HeatRow[] = ids.map((id) => ({
    id,
    label: names.get(id)!,
    depth: id.split(".").length - 1,
    hasChildren: ids.some((o) => o.startsWith(`${id}.`)),
  }));
  for (const m of MODES) {
    const used = Object.values(h.agents).some((a) => a.competence[m] !== undefined);
    if (used) rows.push({ id: m, label: `${m} (mode level)`, depth: 0, hasChildren: false });
  }
  return rows;
}

function heatMap(h: Handbook): string {
  const agents = Object.keys(h.agents).sort();
  const rows = heatMapRows(h);
  const prior = h.metadata.prior;
  if (rows.length === 0 || agents.length === 0) return `<p class="muted">No skills or no agents in the handbook.</p>`;
  const head = `<tr><th>skill</th>${agents.map((a) => `<th class="agent" scope="col">${e(a)}</th>`).join("")}</tr>`;
  const body = rows
    .map((r) => {
      const cells = agents
        .map((a) => {
          // A mode-level row shows only the mode-level entry; a skill row its own evidence plus its descendants'.
          const ev =
            r.depth === 0
              ? (h.agents[a]!.competence[r.id] ?? { successes: 0, failures: 0 })
              : subtreeEvidence(h, a, r.id);
          const n = ev.successes + ev.failures;
          const mean = posteriorMean(ev, prior);
          const scope = r.hasChildren ? " (this skill and its sub-skills)" : "";
          const tip =
            `${a} on ${r.id}: posterior mean ${fix(mean)}; evidence${scope} ${fix(ev.successes, 1)} successes, ` +
            `${fix(ev.failures, 1)} failures (${fix(n, 1)} observations; prior Beta(${prior.alpha}, ${prior.beta}))`;
          const unseen = n === 0;
          return (
            `<td data-cell data-skill="${e(r.id)}" data-agent="${e(a)}" data-mean="${fix(mean, 4)}" data-n="${fix(n, 2)}"` +
            `${unseen ? " data-unseen" : ""} data-tip="${e(tip)}" aria-label="${e(tip)}" ` +
            `style="background:${heatColour(mean)};color:${textOn(mean)}">${fix(mean, 2)}</td>`
          );
        })
        .join("");
      return `<tr><th scope="row" class="skill d${Math.min(r.depth, 4)}" title="${e(r.id)}">${e(r.label)}</th>${cells}</tr>`;
    })
    .join("\n");
  return (
    `<div class="scroll"><table class="heat" data-heatmap data-rows="${rows.length}" data-cols="${agents.length}">` +
    `<thead>${head}</thead><tbody>${body}</tbody></table></div>` +
    `<p class="muted">Posterior mean competence, Beta(${prior.alpha}, ${prior.beta}) prior plus evidence; hatched cells have ` +
    `no evidence (the prior). Hover a cell for its evidence.</p>`
  );
}

function costBars(h: Handbook): string {
  const entries: { agent: string; mode: string; cost: number; estimated: boolean; count: number; i: number }[] = [];
  const agents = Object.keys(h.agents).sort();
  agents.forEach((a, i) => {
    for (const m of MODES) {
      const c = h.agents[a]!.costs[m];
      if (c) entries.push({ agent: a, mode: m, cost: c.meanCostUsd, estimated: c.estimated, count: c.count, i });
    }
  });
  if (entries.length === 0) return `<p class="muted">No cost statistics in the handbook.</p>`;
  const max = Math.max(...entries.map((x) => x.cost));
  const anyEstimated = entries.some((x) => x.estimated);
  const rowH = 22;
  const labelW = 300;
  const barW = 360;
  const height = entries.length * rowH + 10;
  const bars = entries
    .map((x, j) => {
      const w = max > 0 ? (x.cost / max) * barW : 0;
      const y = 5 + j * rowH;
      const tip = `${x.agent} in ${x.mode}: mean ${formatUsd(x.cost)} USD per call over ${x.count} calls${x.estimated ? " (estimated)" : ""}`;
      return (
        `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${e(x.agent)} · ${e(x.mode)}</text>` +
        `<rect data-cost-bar data-agent="${e(x.agent)}" data-mode="${x.mode}" data-tip="${e(tip)}" x="${labelW}" y="${y + 2}" ` +
        `width="${w.toFixed(2)}" height="${rowH - 6}" fill="${agentColour(x.i, agents.length)}"/>` +
        `<text x="${(labelW + w + 6).toFixed(2)}" y="${y + 14}">${formatUsd(x.cost)}${x.estimated ? " (est.)" : ""}</text>`
      );
    })
    .join("");
  return (
    `<svg class="chart" viewBox="0 0 ${labelW + barW + 140} ${height}" width="${labelW + barW + 140}" height="${height}" role="img" aria-label="cost per agent">${bars}</svg>` +
    `<p class="muted">Mean USD per call${anyEstimated ? " (estimated where marked)" : ""}.</p>`
  );
}

function hierarchy(h: Handbook): string {
  const skills = Object.values(h.skills);
  const children = new Map<string, Skill[]>();
  const roots = new Map<string, Skill[]>();
  for (const s of skills.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const parent = s.parent ?? (s.id.split(".").length > 2 ? s.id.slice(0, s.id.lastIndexOf(".")) : undefined);
    if (parent && h.skills[parent]) {
      const list = children.get(parent) ?? [];
      list.push(s);
      children.set(parent, list);
    } else {
      const list = roots.get(s.mode) ?? [];
      list.push(s);
      roots.set(s.mode, list);
    }
  }
  const names = displayNames(h);
  const node = (s: Skill): string => {
    const kids = children.get(s.id) ?? [];
    const indicators = s.indicators.length
      ? `<div class="indicators">${s.indicators.map((i) => `<span class="chip" data-indicator>${e(i)}</span>`).join("")}</div>`
      : "";
    return (
      `<li data-skill-node="${e(s.id)}"><span class="skill-name">${e(names.get(s.id)!)}</span> <code>${e(s.id)}</code>` +
      (s.description ? `<div class="desc">${e(s.description)}</div>` : "") +
      indicators +
      (kids.length ? `<ul>${kids.map(node).join("")}</ul>` : "") +
      `</li>`
    );
  };
  const modes = MODES.filter((m) => roots.has(m) || h.modes[m]);
  if (modes.length === 0) return `<p class="muted">No skills.</p>`;
  return modes
    .map((m) => {
      const info = h.modes[m];
      const insights = info?.insights.length
        ? `<ul class="insights">${info.insights.map((i) => `<li><b>${e(i.type)}</b> (${fix(i.confidence, 2)}): ${e(i.text)}</li>`).join("")}</ul>`
        : "";
      return (
        `<details open class="mode"><summary><b>${e(m)}</b>${info?.description ? ` — ${e(info.description)}` : ""}</summary>` +
        insights +
        `<ul class="tree">${(roots.get(m) ?? []).map(node).join("")}</ul></details>`
      );
    })
    .join("\n");
}

function learningStats(h: Handbook): string {
  const entries = Object.entries(h.metadata.learning);
  if (entries.length === 0) return "";
  const rows = entries
    .map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(typeof v === "string" ? v : JSON.stringify(v))}</td></tr>`)
    .join("");
  return `<h3>Learning cost</h3><table class="kv">${rows}</table>`;
}

/** The consult/accept rule: per scope its plans, each state's P(correct) and costs. */
function consultRule(h: Handbook): string {
  const rule = h.consult;
  if (!rule) return "";
  const [summary, ...rest] = describeRule(rule, 3);
  const granularity = rest[0]?.startsWith("Granularity:") ? rest.shift() : undefined;
  const rows = rest.map((line) => {
    const m = /^- ([^:]+(?: \([^)]*\))?): (.*)$/.exec(line);
    return `<tr><th>${e(m?.[1] ?? "")}</th><td>${e(m?.[2] ?? line)}</td></tr>`;
  });
  return (
    `<h3>When to trust an answer (consult rule)</h3><p class="muted">${e(summary!)}${granularity ? ` ${e(granularity)}` : ""}</p>` +
    `<table class="kv consult"><tr><th>scope</th><th>plan: agents; P(correct | state); costs</th></tr>${rows.join("")}</table>`
  );
}

function handbookPanel(h: Handbook): string {
  const agents = Object.keys(h.agents).length;
  const skills = Object.keys(h.skills).length;
  return (
    `<section id="handbook" class="panel"><h2>Handbook</h2>` +
    `<p class="muted">Version ${h.metadata.handbookVersion}, updated ${e(h.metadata.updatedAt)}; ${skills} skill nodes, ${agents} agents.</p>` +
    `<h3>Competence: skill × agent</h3>${heatMap(h)}` +
    `<h3>Cost per agent</h3>${costBars(h)}` +
    `<h3>Skill hierarchy</h3>${hierarchy(h)}` +
    consultRule(h) +
    learningStats(h) +
    `</section>`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation panel

const KIND_COLOUR: Record<RouterRow["kind"], string> = {
  ours: "#d62728",
  baseline: "#1f77b4",
  bound: "#7f7f7f",
  hindsight: "#9467bd",
};

/** An axis-aligned box in SVG user units. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const boxesIntersect = (a: Box, b: Box): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Estimated width of `text` at `fontSize` px in a proportional sans-serif font, on the generous side (the layout
 * must not under-estimate, or placed labels would touch): per character class, in ems.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const c of text) {
    if (" .,:;'!|()[]ilj".includes(c)) em += 0.4;
    else if ("mwMW".includes(c)) em += 0.95;
    else if (c === "=" || c === "+" || c === "±") em += 0.86;
    else if (c >= "A" && c <= "Z") em += 0.76;
    else em += 0.64;
  }
  return em * fontSize + 2;
}

export interface LabelRequest {
  /** The anchor point (a marker's centre). */
  x: number;
  y: number;
  text: string;
}

export interface PlacedLabel {
  /** Where the text goes: `x` is its start or end (per `anchor`), `y` its baseline. */
  x: number;
  y: number;
  anchor: "start" | "end";
  /** The box the text is estimated to occupy. */
  box: Box;
  /** Placed away from its point: draw a leader line. */
  leader: boolean;
}

/**
 * Greedy label placement: each label, in the order given (most important first), takes the first candidate
 * position around its point, nearest first, whose estimated box stays inside `bounds` and meets neither an
 * earlier label nor any obstacle (the markers, the legend). A label with no free position is left out (null).
 */
export function placeLabels(
  requests: readonly LabelRequest[],
  opts: { bounds: Box; obstacles: readonly Box[]; fontSize: number },
): (PlacedLabel | null)[] {
  const fs = opts.fontSize;
  const h = Math.ceil(fs * 1.3);
  const taken: Box[] = [...opts.obstacles];
  const inside = (b: Box) =>
    b.x >= opts.bounds.x &&
    b.y >= opts.bounds.y &&
    b.x + b.w <= opts.bounds.x + opts.bounds.w &&
    b.y + b.h <= opts.bounds.y + opts.bounds.h;
  return requests.map((r) => {
    const w = textWidth(r.text, fs);
    for (const ring of [1, 2, 3, 4.5, 6]) {
      const dx = 8 * ring;
      const dy = 9 * ring;
      // Right, left, above and below, then the diagonals; each as a box whose left edge is `left`.
      const candidates: { left: number; top: number }[] = [
        { left: r.x + dx, top: r.y - h / 2 },
        { left: r.x - dx - w, top: r.y - h / 2 },
        { left: r.x - w / 2, top: r.y - dy - h },
        { left: r.x - w / 2, top: r.y + dy },
        { left: r.x + dx * 0.7, top: r.y - dy - h * 0.6 },
        { left: r.x + dx * 0.7, top: r.y + dy - h * 0.4 },
        { left: r.x - dx * 0.7 - w, top: r.y - dy - h * 0.6 },
        { left: r.x - dx * 0.7 - w, top: r.y + dy - h * 0.4 },
      ];
      for (const c of candidates) {
        const box = { x: c.left, y: c.top, w, h };
        if (!inside(box) || taken.some((t) => boxesIntersect(t, box))) continue;
        taken.push(box);
        // The text starts 1 px inside its box; its baseline sits about 0.3 em above the box's bottom.
        return { x: c.left + 1, y: c.top + h - Math.round(fs * 0.32), anchor: "start" as const, box, leader: ring > 1 };
      }
    }
    return null;
  });
}

/** The order points are labelled in: ours on a frontier, other frontier points, single routers, the rest. */
function labelPriority(r: RouterRow, onFrontier: Set<string>): number {
  if (onFrontier.has(r.id)) return r.kind === "ours" ? 0 : 1;
  if (r.lambda === undefined) return r.kind === "bound" || r.kind === "hindsight" ? 3 : 2;
  return r.kind === "ours" ? 4 : 5;
}

const PLOT = { W: 1080, H: 560, fontSize: 12 };

function scatter(ev: RouterComparison): { svg: string; unlabelled: RouterRow[] } {
  const { W, H } = PLOT;
  const m = { l: 64, r: 24, t: 34, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const costs = ev.rows.map((r) => r.meanCostUsd.mean);
  const accs = ev.rows.flatMap((r) => [r.accuracy.mean - r.accuracy.std, r.accuracy.mean + r.accuracy.std]);
  // Room to the right of the most expensive point for its label.
  const xMax = Math.max(...costs) * 1.22 || 1;
  const yLo = Math.max(0, Math.floor((Math.min(...accs) - 0.02) * 10) / 10);
  const yHi = Math.min(1, Math.ceil((Math.max(...accs) + 0.02) * 10) / 10);
  const yTop = yHi > yLo ? yHi : yLo + 0.1;
  const x = (c: number) => m.l + (c / xMax) * pw;
  const y = (a: number) => m.t + ph - ((a - yLo) / (yTop - yLo)) * ph;
  const q = costQualifier(ev);

  const grid: string[] = [];
  for (const t of ticks(0, xMax))
    grid.push(
      `<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.t}" y2="${m.t + ph}"/>` +
        `<text class="tick" x="${x(t).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${formatUsd(t)}</text>`,
    );
  for (const t of ticks(yLo, yTop))
    grid.push(
      `<line class="grid" x1="${m.l}" x2="${m.l + pw}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>` +
        `<text class="tick" x="${m.l - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t.toFixed(2)}</text>`,
    );
  const axes =
    `<line class="axis" x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}"/>` +
    `<line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}"/>` +
    `<text class="label" x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">mean USD per query${q ? ` ${e(q)}` : ""}</text>` +
    `<text class="label" transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`;

  // Frontiers: the step function the AUC integrates (accuracy attainable within a budget).
  const lines = ev.frontiers
    .map((f) => {
      const colour = KIND_COLOUR[f.kind];
      const pts = f.frontier;
      let d = "";
      pts.forEach((p, i) => {
        d +=
          i === 0
            ? `M${x(p.cost).toFixed(1)},${y(p.accuracy).toFixed(1)}`
            : `H${x(p.cost).toFixed(1)}V${y(p.accuracy).toFixed(1)}`;
      });
      d += `H${x(xMax).toFixed(1)}`;
      const vertices = pts
        .map(
          (p) =>
            `<circle data-frontier-point data-family="${e(f.family)}" data-lambda="${p.lambda}" cx="${x(p.cost).toFixed(1)}" cy="${y(p.accuracy).toFixed(1)}" r="7" ` +
            `class="vertex" stroke="${colour}" data-tip="${e(`${f.label} frontier, λ=${p.lambda}: accuracy ${fix(p.accuracy)}, ${formatUsd(p.cost)} USD/query`)}"/>`,
        )
        .join("");
      return (
        `<g data-frontier="${e(f.family)}"><path d="${d}" fill="none" stroke="${colour}" stroke-width="${f.kind === "ours" ? 2.5 : 1.5}" ` +
        `stroke-dasharray="${f.kind === "ours" ? "" : "5 4"}"/>${vertices}</g>`
      );
    })
    .join("");

  const points = ev.rows
    .map((r) => {
      const cx = x(r.meanCostUsd.mean);
      const cy = y(r.accuracy.mean);
      const colour = KIND_COLOUR[r.kind];
      const err =
        r.accuracy.n > 1 && r.accuracy.std > 0
          ? `<line class="err" x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(r.accuracy.mean - r.accuracy.std).toFixed(1)}" y2="${y(r.accuracy.mean + r.accuracy.std).toFixed(1)}" stroke="${colour}"/>`
          : "";
      const tip =
        `${r.label}: accuracy ${formatStat(r.accuracy, fix)}, ${formatStat(r.meanCostUsd, formatUsd)} USD/query${q ? ` ${q}` : ""}` +
        `${r.gapRecovered ? `, gap recovered ${formatStat(r.gapRecovered, fix)}` : ""}${r.note ? ` (${r.note})` : ""}`;
      return (
        err +
        `<circle data-point data-router="${e(r.id)}" data-kind="${r.kind}" data-accuracy="${r.accuracy.mean}" data-cost="${r.meanCostUsd.mean}" ` +
        `cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5" fill="${colour}" data-tip="${e(tip)}"/>`
      );
    })
    .join("");

  const kinds = (Object.keys(KIND_COLOUR) as RouterRow["kind"][]).filter((k) => ev.rows.some((r) => r.kind === k));
  const legendY = 14;
  let lx = m.l + 4;
  const legendBoxes: Box[] = [];
  const legend = kinds
    .map((k) => {
      const g = `<g transform="translate(${lx + 5} ${legendY})"><circle r="5" fill="${KIND_COLOUR[k]}"/><text x="9" y="4">${k}</text></g>`;
      const w = 14 + textWidth(k, 11);
      legendBoxes.push({ x: lx, y: legendY - 7, w, h: 14 });
      lx += w + 16;
      return g;
    })
    .join("");

  // Labels: one per distinct marker position (routers drawn on the same spot share one label).
  const onFrontier = new Set(ev.frontiers.flatMap((f) => f.frontier.map((p) => p.id)));
  const ordered = ev.rows
    .map((r, i) => ({ r, i, p: labelPriority(r, onFrontier) }))
    .sort((a, b) => a.p - b.p || b.r.accuracy.mean - a.r.accuracy.mean || a.i - b.i);
  const groups: { x: number; y: number; rows: RouterRow[] }[] = [];
  for (const { r } of ordered) {
    const px = x(r.meanCostUsd.mean);
    const py = y(r.accuracy.mean);
    const g = groups.find((o) => Math.abs(o.x - px) < 1.5 && Math.abs(o.y - py) < 1.5);
    if (g) g.rows.push(r);
    else groups.push({ x: px, y: py, rows: [r] });
  }
  const markers: Box[] = groups.map((g) => ({ x: g.x - 7.5, y: g.y - 7.5, w: 15, h: 15 }));
  const texts = groups.map((g) =>
    g.rows.length > 1 ? `${g.rows[0]!.label} (+${g.rows.length - 1} same)` : g.rows[0]!.label,
  );
  const placed = placeLabels(
    groups.map((g, i) => ({ x: g.x, y: g.y, text: texts[i]! })),
    {
      bounds: { x: m.l + 2, y: m.t - 6, w: pw + m.r - 2, h: ph + 6 },
      obstacles: [...markers, ...legendBoxes],
      fontSize: PLOT.fontSize,
    },
  );
  const unlabelled: RouterRow[] = [];
  const labels = groups
    .map((g, i) => {
      const p = placed[i];
      if (!p) {
        unlabelled.push(...g.rows);
        return "";
      }
      const near = {
        x: Math.min(Math.max(g.x, p.box.x), p.box.x + p.box.w),
        y: Math.min(Math.max(g.y, p.box.y), p.box.y + p.box.h),
      };
      const leader = p.leader
        ? `<line class="leader" x1="${g.x.toFixed(1)}" y1="${g.y.toFixed(1)}" x2="${near.x.toFixed(1)}" y2="${near.y.toFixed(1)}"/>`
        : "";
      return (
        leader +
        `<text class="plabel" data-label-for="${e(g.rows.map((r) => r.id).join(" "))}" x="${p.x.toFixed(1)}" y="${p.y.toFixed(1)}">${e(texts[i]!)}</text>`
      );
    })
    .join("");

  const svg =
    `<svg class="chart" data-plot="accuracy-cost" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="accuracy against cost">` +
    grid.join("") +
    axes +
    lines +
    labels +
    points +
    legend +
    `</svg>`;
  return { svg, unlabelled };
}

function frontierLegend(ev: RouterComparison): string {
  if (ev.frontiers.length === 0) return "";
  const items = ev.frontiers
    .map((f) => {
      const colour = KIND_COLOUR[f.kind];
      const dash = f.kind === "ours" ? "" : ` stroke-dasharray="5 4"`;
      const pts = f.frontier.map((p) => `λ=${p.lambda}: ${fix(p.accuracy)} @ ${formatUsd(p.cost)}`).join("; ");
      return (
        `<li data-frontier-legend="${e(f.family)}"><svg width="34" height="10" aria-hidden="true"><line x1="0" x2="34" y1="5" y2="5" ` +
        `stroke="${colour}" stroke-width="${f.kind === "ours" ? 2.5 : 1.5}"${dash}/></svg> <b>${e(f.label)}</b>: AUC ${fix(f.auc)} ` +
        `<span class="muted">(frontier ${e(pts)})</span></li>`
      );
    })
    .join("");
  return `<ul class="frontiers">${items}</ul>`;
}

function resultsTable(ev: RouterComparison): string {
  const q = costQualifier(ev);
  const withCalls = anyMultiStep(ev);
  const callsHead = withCalls
    ? `<th title="calls per query, every call paid; for a multi-step router, the shares of queries answered after 1, 2, … calls">calls/q</th>`
    : "";
  const callsCell = (r: RouterRow) =>
    withCalls
      ? `<td class="n" data-calls="${r.callsPerQuery.mean}">${isMultiStep(r) ? `${formatStat(r.callsPerQuery, (x) => x.toFixed(2))} (${e(acceptedShares(r))})` : "1"}</td>`
      : "";
  const head =
    `<tr><th>router</th><th>accuracy</th><th>USD/query${q ? ` ${e(q)}` : ""}</th>${callsHead}<th>gap recovered</th>` +
    `<th>top agent (share)</th><th>most expensive share</th><th>entropy</th><th title="queries where the router chose an agent with no record: scored as misses">missing</th><th>note</th></tr>`;
  const body = ev.rows
    .map(
      (r) =>
        `<tr data-row="${e(r.id)}" class="${r.kind}"><td>${e(r.label)}</td><td class="n">${formatStat(r.accuracy, fix)}</td>` +
        `<td class="n">${formatStat(r.meanCostUsd, formatUsd)}</td>${callsCell(r)}<td class="n">${r.gapRecovered ? formatStat(r.gapRecovered, fix) : "–"}</td>` +
        `<td>${e(r.collapse.topAgent ?? "–")} (${formatStat(r.topShare, fix)})</td><td class="n">${formatStat(r.expensiveShare, fix)}</td>` +
        `<td class="n">${formatStat(r.entropy, fix)}</td><td class="n" data-missing="${r.missing.mean}">${formatStat(r.missing, (x) => x.toFixed(Number.isInteger(x) ? 0 : 1))}</td>` +
        `<td>${e([r.kind === "ours" || r.kind === "baseline" ? "" : r.kind, r.note ?? "", r.seeds.length > 1 ? `${r.seeds.length} seeds` : ""].filter(Boolean).join("; "))}</td></tr>`,
    )
    .join("\n");
  return `<div class="scroll"><table class="results"><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/**
 * Multi-step routers call by call: for each call index, the share of queries that reached it, the share answered
 * there, and the collapse of the agents asked at it. Empty when every router is single-step.
 */
function stepsTable(ev: RouterComparison): string {
  const multi = ev.rows.filter(isMultiStep);
  if (multi.length === 0) return "";
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const body = multi
    .flatMap((r) => {
      let reached = 1;
      return r.acceptedAtStep.map((answered, i) => {
        const c = r.collapseByStep[i]!;
        const cells =
          `<td class="n">${i + 1}</td><td class="n">${pct(reached)}</td><td class="n">${formatStat(answered, pct)}</td>` +
          `<td>${e(c.collapse.topAgent ?? "–")} (${formatStat(c.topShare, fix)})</td><td class="n">${formatStat(c.expensiveShare, fix)}</td>` +
          `<td class="n">${formatStat(c.entropy, fix)}</td>`;
        reached -= answered.mean;
        return `<tr data-step-row data-router="${e(r.id)}" data-step="${i + 1}" class="${r.kind}"><td>${e(r.label)}</td>${cells}</tr>`;
      });
    })
    .join("\n");
  return (
    `<h3>Multi-step routers, call by call</h3><div class="scroll"><table class="results steps"><thead><tr><th>router</th><th>call</th>` +
    `<th title="share of queries that made this call">reached</th><th title="share of queries whose final answer came at this call">answered here</th>` +
    `<th>top agent asked (share)</th><th>most expensive share</th><th>entropy</th></tr></thead><tbody>${body}</tbody></table></div>` +
    `<p class="muted">Shares are of all test queries (reached: mean over seeds); the collapse at a call is over the agents asked at it, ` +
    `among the queries that reached it. Every call is paid.</p>`
  );
}

function shareBars(ev: RouterComparison): string {
  const n = ev.pool.length;
  const legend = ev.pool
    .map(
      (a, i) =>
        `<span class="legend-item"><span class="swatch" style="background:${agentColour(i, n)}"></span>${e(a)}</span>`,
    )
    .join("");
  const rows = ev.rows
    .map((r) => {
      const segs = ev.pool
        .map((a, i) => {
          const s = r.shares[a] ?? 0;
          if (s <= 0) return "";
          const tip = `${r.label}: ${a} ${(s * 100).toFixed(1)}% of calls (${fix(r.calls[a] ?? 0, r.seeds.length > 1 ? 1 : 0)} per run)`;
          return `<div data-share data-agent="${e(a)}" data-value="${s}" data-tip="${e(tip)}" style="width:${(s * 100).toFixed(3)}%;background:${agentColour(i, n)}"></div>`;
        })
        .join("");
      return `<div class="share-row"><div class="share-label">${e(r.label)}</div><div class="share-bar" data-share-bar data-router="${e(r.id)}">${segs}</div></div>`;
    })
    .join("\n");
  return `<div class="legend">${legend}</div>${rows}`;
}

/** A baseline costs "comparably" when it costs at most this much more than ours. */
export const COMPARABLE_COST = 1.1;

export interface Headline {
  /** Our most accurate row (the cheaper on a tie). */
  ours: RouterRow;
  /** The best single agent (chosen on train). */
  bestSingle?: RouterRow;
  /** The most accurate deployable baseline costing at most COMPARABLE_COST × ours (the cheaper on a tie). */
  baseline?: RouterRow;
  /** The agent with the highest mean cost per call on test, and that cost: the denominator of "% of cost". */
  expensive: { agent: string; cost: number };
  /** The largest frontier AUC of ours and of the baselines. */
  auc: { ours?: { label: string; auc: number }; baseline?: { label: string; auc: number } };
}

const better = (a: RouterRow, b: RouterRow) =>
  a.accuracy.mean > b.accuracy.mean || (a.accuracy.mean === b.accuracy.mean && a.meanCostUsd.mean < b.meanCostUsd.mean);

/** The figures the report opens with; undefined when no router of ours was evaluated. */
export function headline(ev: RouterComparison): Headline | undefined {
  const ours = ev.rows
    .filter((r) => r.kind === "ours")
    .reduce<RouterRow | undefined>((b, r) => (b && !better(r, b) ? b : r), undefined);
  if (!ours) return undefined;
  const bestSingle = ev.rows.find((r) => r.family === "best-single");
  const limit = ours.meanCostUsd.mean * COMPARABLE_COST + 1e-12;
  const baseline = ev.rows
    .filter((r) => r.kind === "baseline" && r.family !== "best-single" && r.meanCostUsd.mean <= limit)
    .reduce<RouterRow | undefined>((b, r) => (b && !better(r, b) ? b : r), undefined);
  const [agent, cost] = Object.entries(ev.agentCosts).reduce<[string, number]>(
    (b, [a, c]) => (c > b[1] ? [a, c] : b),
    ["", 0],
  );
  const top = (kind: RouterRow["kind"]) =>
    ev.frontiers
      .filter((f) => f.kind === kind)
      .reduce<{ label: string; auc: number } | undefined>(
        (b, f) => (b && b.auc >= f.auc ? b : { label: f.label, auc: f.auc }),
        undefined,
      );
  const oursAuc = top("ours");
  const baseAuc = top("baseline");
  return {
    ours,
    ...(bestSingle ? { bestSingle } : {}),
    ...(baseline ? { baseline } : {}),
    expensive: { agent, cost },
    auc: { ...(oursAuc ? { ours: oursAuc } : {}), ...(baseAuc ? { baseline: baseAuc } : {}) },
  };
}

function share(cost: number, of: number): string {
  return of > 0 ? `${Math.round((100 * cost) / of)}%` : "–";
}

function headlinePanel(ev: RouterComparison): string {
  const hl = headline(ev);
  if (!hl) return "";
  const q = costQualifier(ev);
  const row = (role: string, key: string, r: RouterRow) =>
    `<tr data-headline="${key}" data-router="${e(r.id)}" class="${r.kind}"><th scope="row">${e(role)}</th><td>${e(r.label)}</td>` +
    `<td class="n">${formatStat(r.accuracy, fix)}</td><td class="n">${formatStat(r.meanCostUsd, formatUsd)}</td>` +
    `<td class="n">${share(r.meanCostUsd.mean, hl.expensive.cost)}</td></tr>`;
  const rows = [
    row("ours", "ours", hl.ours),
    hl.bestSingle ? row("best single agent", "best-single", hl.bestSingle) : "",
    hl.baseline
      ? row("strongest baseline at comparable cost", "baseline", hl.baseline)
      : `<tr data-headline="baseline"><th scope="row">strongest baseline at comparable cost</th><td colspan="4" class="muted">no baseline costs at most ${Math.round(COMPARABLE_COST * 100)}% of ours</td></tr>`,
  ].join("");
  const d = (a: RouterRow, b: RouterRow) => {
    const diff = a.accuracy.mean - b.accuracy.mean;
    return `${diff >= 0 ? "+" : "−"}${fix(Math.abs(diff))}`;
  };
  const verdict = [
    hl.bestSingle ? `${d(hl.ours, hl.bestSingle)} accuracy against the best single agent` : "",
    hl.baseline ? `${d(hl.ours, hl.baseline)} against the strongest baseline at comparable cost` : "",
    hl.auc.ours && hl.auc.baseline
      ? `frontier AUC ${fix(hl.auc.ours.auc)} (${hl.auc.ours.label}) against ${fix(hl.auc.baseline.auc)} (${hl.auc.baseline.label})`
      : "",
  ].filter(Boolean);
  return (
    `<div class="headline" data-headline-panel><p class="lead">Our most accurate router, <b>${e(hl.ours.label)}</b>: ` +
    `<b>${formatStat(hl.ours.accuracy, fix)}</b> accuracy at ${formatStat(hl.ours.meanCostUsd, formatUsd)} USD/query${q ? ` ${e(q)}` : ""}, ` +
    `${share(hl.ours.meanCostUsd.mean, hl.expensive.cost)} of the most expensive agent's cost (${e(hl.expensive.agent)}).` +
    (verdict.length ? ` ${e(verdict.join("; "))}.` : "") +
    `</p><table class="results headline-table"><thead><tr><th></th><th>router</th><th>accuracy</th><th>USD/query${q ? ` ${e(q)}` : ""}</th>` +
    `<th>% of ${e(hl.expensive.agent)}'s cost</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="muted">Comparable cost: at most ${Math.round(COMPARABLE_COST * 100)}% of ours. ± one standard deviation over seeds.</p></div>`
  );
}

function resultPanel(ev: RouterComparison): string {
  const flags = [
    ev.costEstimated ? "Costs are estimated (not reported by the provider)." : "",
    ev.simulated ? "Outcomes are simulated." : "",
  ]
    .filter(Boolean)
    .map((f) => `<p class="flag">${e(f)}</p>`)
    .join("");
  return (
    `<section id="result" class="panel"><h2>Result</h2>${headlinePanel(ev)}${flags}` +
    `<p class="muted">${ev.queries} test queries, ${ev.trainQueries} train queries, ${ev.pool.length} agents. Best single agent (chosen on train) ` +
    `<b>${e(ev.bestSingle.agent)}</b> ${fix(ev.bestSingle.accuracy)}; per-query oracle ${fix(ev.oracle)}. ` +
    `λ: ${ev.lambdas.join(", ")}; seeds: ${ev.seeds.join(", ")}; kNN k = ${ev.k}.</p>` +
    `<h3>Routers</h3>${resultsTable(ev)}${stepsTable(ev)}</section>`
  );
}

function evaluationPanel(ev: RouterComparison): string {
  const { svg, unlabelled } = scatter(ev);
  const rest = unlabelled.length
    ? `<p class="muted" data-unlabelled="${unlabelled.length}">Not labelled in the chart (no room beside their points; hover them, or see the router table): ` +
      `${e(unlabelled.map((r) => r.label).join("; "))}.</p>`
    : "";
  return (
    `<section id="evaluation" class="panel"><h2>Accuracy against cost</h2>${svg}${rest}${frontierLegend(ev)}` +
    `<p class="muted">One point per router (and per λ); bars are ± one standard deviation over seeds; a label ending “(+n same)” ` +
    `stands for n more routers drawn on the same spot. Lines: the Pareto frontier ` +
    `over λ as a step function (best accuracy within a budget); AUC is its mean over budgets in [0, ${formatUsd(ev.aucRange.hi)}] USD.</p>` +
    `<h3>Call shares</h3>${shareBars(ev)}` +
    `</section>`
  );
}

// ---------------------------------------------------------------------------------------------------------------

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 1.5rem; margin: 8px 0 4px; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin-top: 24px; }
.panel { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 8px 20px 20px; margin: 16px 0; }
.muted { color: #666; font-size: 0.85rem; } .flag { color: #8a4b00; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.82rem; }
table.heat td { width: 46px; height: 24px; text-align: center; border: 1px solid #fff; font-variant-numeric: tabular-nums; cursor: default; }
table.heat td[data-unseen] { background-image: repeating-linear-gradient(45deg, transparent 0 4px, rgba(0,0,0,0.12) 4px 6px); }
table.heat th.agent { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500; padding: 4px 2px; max-height: 180px; }
table.heat th.skill { text-align: left; font-weight: 500; white-space: nowrap; padding-right: 8px; }
th.d0 { font-style: italic; } th.d1 { font-weight: 700 !important; } th.d2 { padding-left: 14px; } th.d3 { padding-left: 28px; } th.d4 { padding-left: 42px; }
table.results td, table.results th, table.kv td, table.kv th { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; }
table.results td:first-child { white-space: nowrap; }
table.results td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.results td[data-calls] { white-space: nowrap; }
table.results tr.ours td:first-child { font-weight: 700; color: #d62728; }
table.results tr.bound td, table.results tr.hindsight td { color: #555; }
svg.chart { max-width: 100%; height: auto; font-size: 11px; }
svg .grid { stroke: #eee; } svg .axis { stroke: #444; } svg .tick { fill: #555; } svg .label { fill: #222; font-size: 12px; }
svg .plabel { fill: #222; font-size: ${PLOT.fontSize}px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; } svg .leader { stroke: #999; stroke-width: 0.8; }
.lead { font-size: 1.05rem; line-height: 1.45; } table.headline-table { font-size: 0.9rem; margin: 6px 0; }
table.headline-table th[scope="row"] { font-weight: 500; color: #444; padding-right: 12px; }
table.results tr.ours td:nth-child(2) { font-weight: 700; color: #d62728; }
.frontiers { list-style: none; padding: 0; font-size: 0.85rem; } .frontiers li { margin: 3px 0; }
svg .vertex { fill: none; stroke-width: 1.5; } svg .err { stroke-width: 1.5; }
svg [data-tip] { cursor: pointer; }
.tree, .tree ul { list-style: none; padding-left: 18px; margin: 4px 0; }
.tree li { margin: 4px 0; } .skill-name { font-weight: 600; } code { font-size: 0.78rem; color: #555; }
.desc { font-size: 0.82rem; color: #444; }
.chip { display: inline-block; background: #eef3fb; border: 1px solid #cbd8ee; border-radius: 10px; padding: 0 7px; margin: 2px 3px 0 0; font-size: 0.75rem; }
.insights { font-size: 0.82rem; color: #333; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.8rem; margin-bottom: 8px; }
.legend-item { display: inline-flex; align-items: center; gap: 4px; } .swatch { width: 12px; height: 12px; display: inline-block; border-radius: 2px; }
.share-row { display: flex; align-items: center; margin: 3px 0; font-size: 0.8rem; }
.share-label { width: 280px; flex: none; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding-right: 8px; text-align: right; }
.share-bar { flex: 1; display: flex; height: 16px; background: #f0f0f0; border-radius: 2px; overflow: hidden; }
.share-bar > div { height: 100%; }
#tip { position: fixed; pointer-events: none; background: rgba(20,20,20,0.92); color: #fff; padding: 5px 8px; border-radius: 4px;
  font-size: 12px; max-width: 420px; display: none; z-index: 10; line-height: 1.35; }
`;

const SCRIPT = `
(function () {
  var tip = document.getElementById("tip");
  function show(ev) {
    var t = ev.target && ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (!t) { tip.style.display = "none"; return; }
    tip.textContent = t.getAttribute("data-tip");
    tip.style.display = "block";
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = ev.clientX - w - 10;
    if (y + h > window.innerHeight - 4) y = ev.clientY - h - 10;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  document.addEventListener("mousemove", show);
  document.addEventListener("mouseleave", function () { tip.style.display = "none"; });
})();
`;

/** The whole report as one HTML string. */
function driftPanel(d: NonNullable<ReportData["drift"]>): string {
  const sign = (x: number) => (x >= 0 ? "+" : "−");
  const rows = d.rows
    .map(
      (r) =>
        `<tr data-drift-row data-agent="${e(r.agent)}" data-skill="${e(r.skill)}" data-delta="${r.delta}">` +
        `<td>${e(r.agent)}</td><td>${e(r.skill)}</td><td class="num">${fix(r.before)}</td>` +
        `<td class="num">${fix(r.after)}</td><td class="num">${sign(r.delta)}${fix(Math.abs(r.delta))}</td>` +
        `<td class="num">${fix(r.evidenceBefore, 2)} → ${fix(r.evidenceAfter, 2)}</td></tr>`,
    )
    .join("");
  const body = d.rows.length
    ? `<table><thead><tr><th>agent</th><th>skill</th><th>mean before</th><th>mean after</th><th>change</th>` +
      `<th>evidence</th></tr></thead><tbody>${rows}</tbody></table>`
    : `<p class="muted">No posterior moved.</p>`;
  return (
    `<section id="drift" class="panel"><h2>Drift: ${e(d.from)} → ${e(d.to)}</h2>` +
    `<p class="muted">The (agent, skill) competence posteriors that moved most, largest change first (posterior ` +
    `means; evidence in observations).</p>${body}</section>`
  );
}

export function renderReport(data: ReportData): string {
  const title = data.title ?? "skillorchestra report";
  const sub = [data.subtitle, data.generatedAt ? `generated ${data.generatedAt}` : undefined]
    .filter(Boolean)
    .join(" · ");
  // The result first (headline and router table), then the chart, then the handbook it came from.
  const panels = [
    data.drift ? driftPanel(data.drift) : "",
    data.evaluation ? resultPanel(data.evaluation) : "",
    data.evaluation ? evaluationPanel(data.evaluation) : "",
    data.handbook ? handbookPanel(data.handbook) : "",
  ]
    .filter(Boolean)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${e(title)}</h1>
${sub ? `<p class="muted">${e(sub)}</p>` : ""}
${panels || `<p class="muted">Nothing to report: no handbook and no evaluation.</p>`}
<div id="tip" role="tooltip"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
