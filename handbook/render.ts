import { MODES, type Mode } from "../src/core/modes.js";
import { observations, posteriorMean } from "./competence.js";
import { describeRule } from "./consult.js";
import { depthOf, type Handbook } from "./schema.js";

/**
 * Compact text of a handbook for an LLM orchestrator's prompt, per mode: the mode's description and insights, its
 * skills with indicators, and per agent its cost, its mode-level competence and its competence per skill
 * (posterior mean with the evidence count).
 *
 * Within a character budget: every line carries a value; while the text is too long the lowest-value lines go
 * first (per-skill competence of agents with little evidence, then indicators, then low-confidence insights and
 * deep skills…), and a last line says how many were left out. Headers and agent summaries go last; if even they do
 * not fit, the text is cut at the budget. The result never exceeds the budget.
 */

export interface RenderOptions {
  /** Modes to render (default: every mode in the handbook). */
  modes?: ReadonlyArray<Mode>;
  /** Maximum characters of the result (default: unlimited). */
  budget?: number;
}

interface Line {
  text: string;
  value: number;
}

const MUST = 1000;

function num(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function linesFor(h: Handbook, mode: Mode): Line[] {
  const out: Line[] = [];
  const info = h.modes[mode];
  const prior = h.metadata.prior;
  out.push({ text: `## Mode: ${mode}`, value: MUST });
  if (info?.description) out.push({ text: info.description, value: MUST - 1 });
  if (info?.indicators?.length) out.push({ text: `Cues: ${info.indicators.join("; ")}`, value: 60 });
  if (info && info.insights.length > 0) {
    out.push({ text: "Insights:", value: 85 });
    for (const ins of info.insights)
      out.push({
        text: `- [${ins.type}] ${ins.text} (confidence ${num(ins.confidence, 1)})`,
        value: 45 + 35 * ins.confidence,
      });
  }
  const skills = Object.values(h.skills)
    .filter((s) => s.mode === mode)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (skills.length > 0) {
    out.push({ text: "Skills:", value: 88 });
    for (const s of skills) {
      const depth = depthOf(s.id);
      const indent = "  ".repeat(depth - 1);
      out.push({
        text: `${indent}- ${s.id}: ${s.name}${s.description ? ` — ${s.description}` : ""}`,
        value: 75 - 5 * Math.min(depth, 5),
      });
      if (s.indicators.length > 0)
        out.push({ text: `${indent}  cues: ${s.indicators.join("; ")}`, value: 35 - 2 * Math.min(depth, 5) });
    }
  }
  const agents = Object.keys(h.agents)
    .filter((a) => h.agents[a]!.modes.includes(mode))
    .sort();
  if (agents.length > 0) {
    out.push({ text: "Agents (competence = posterior mean, n = evidence):", value: 90 });
    const prefix = `${mode}.`;
    for (const a of agents) {
      const p = h.agents[a]!;
      let s = 0;
      let f = 0;
      const entries: [string, number, number][] = [];
      for (const [key, e] of Object.entries(p.competence)) {
        if (key !== mode && !key.startsWith(prefix)) continue;
        s += e.successes;
        f += e.failures;
        if (key !== mode) entries.push([key, posteriorMean(e, prior), observations(e)]);
      }
      const cost = p.costs[mode];
      const costText = cost
        ? `$${cost.meanCostUsd.toPrecision(3)}/call${cost.estimated ? " (est.)" : ""}, n=${cost.count}`
        : "cost unknown";
      const pooled = { successes: s, failures: f };
      out.push({
        text: `- ${a}: ${costText}; mode ${num(posteriorMean(pooled, prior))} (n=${num(observations(pooled), 1)})`,
        value: 95,
      });
      if (p.strengths.length > 0) out.push({ text: `  strengths: ${p.strengths.join("; ")}`, value: 40 });
      if (p.weaknesses.length > 0) out.push({ text: `  weaknesses: ${p.weaknesses.join("; ")}`, value: 40 });
      entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      for (const [key, mean, n] of entries)
        out.push({ text: `  ${key}: ${num(mean)} (n=${num(n, 1)})`, value: 10 + 20 * (1 - 1 / (1 + n)) });
    }
  }
  if (mode === "answer" && h.consult)
    describeRule(h.consult, 1).forEach((text, i) => {
      out.push({ text, value: i === 0 ? 92 : 50 });
    });
  return out;
}

export function renderHandbook(h: Handbook, opts: RenderOptions = {}): string {
  const modes = opts.modes ?? MODES.filter((m) => h.modes[m]);
  const lines: Line[] = [];
  modes.forEach((m, i) => {
    if (i > 0) lines.push({ text: "", value: MUST });
    lines.push(...linesFor(h, m));
  });
  const budget = opts.budget ?? Infinity;
  if (!(budget >= 0)) throw new RangeError(`budget must be >= 0, got ${budget}`);
  const join = (ls: Line[]) => ls.map((l) => l.text).join("\n");
  let total = lines.reduce((a, l) => a + l.text.length + 1, 0) - 1;
  if (total <= budget) return join(lines);

  // Drop the lowest-value lines first (later lines first among equals) until the text and a note fit.
  const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.value - lines[b]!.value || b - a);
  const dropped = new Set<number>();
  const note = (k: number) => `[${k} lines omitted for length]`;
  for (const i of order) {
    if (lines[i]!.value >= MUST) break;
    if (total + 1 + note(dropped.size).length <= budget && dropped.size > 0) break;
    dropped.add(i);
    total -= lines[i]!.text.length + 1;
  }
  const kept = lines.filter((_, i) => !dropped.has(i));
  const text = join(kept) + (dropped.size > 0 ? `\n${note(dropped.size)}` : "");
  if (text.length <= budget) return text;
  return budget >= 1 ? `${text.slice(0, budget - 1)}…` : "";
}
