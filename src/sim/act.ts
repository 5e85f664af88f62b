import type { Mode } from "../core/modes.js";
import type { CodeResult, Document } from "../core/types.js";
import { rngFor } from "../core/random.js";
import type { SimAgentProfile, SimTask } from "./types.js";
import type { World } from "./world.js";

/** What a simulated agent does at one step, and why (kept for tests and explanations). */
export interface SimDecision {
  /** The latent skill of the step (from the task's plan, not the orchestrator's guess); null off the plan. */
  skill: string | null;
  /** Which step of the task's plan this is; null when the task's plan has no step of this mode. */
  planIndex: number | null;
  /** The probability of a good outcome this step had (after the evidence factor for answers). */
  probability: number;
  /** Answer steps: whether the evidence the answer needs was in the state. */
  evidence: boolean;
  outcome: "good" | "wrong" | "vague" | "buggy" | "evasive" | "off_plan";
  /** search: the query; code: the program; answer: the final answer. */
  output: string;
  language?: "python";
}

export interface SimStepState {
  mode: Mode;
  step: number;
  documents: readonly Document[];
  codeResults: readonly CodeResult[];
  attempts: readonly string[];
}

/** What a simulated agent answers when it evades (the orchestrator rejects these). */
export const EVASIONS = [
  "I don't know.",
  "I cannot tell from the information given.",
  "Not enough information to answer.",
];

/** Whether a retrieved document is the corpus document `docId` (passage ids are `docId#n`). */
export function isDocument(d: Pick<Document, "id">, docId: string): boolean {
  return d.id === docId || d.id.startsWith(`${docId}#`);
}

function hasDoc(docs: readonly Document[], docId: string | undefined): boolean {
  return docId !== undefined && docs.some((d) => isDocument(d, docId));
}

/** The last non-blank line of a program's output, trimmed: where a program prints its result. */
export function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? "";
}

/** Whether the state holds what the task's answer step needs: every gold document, or a program output of the answer. */
export function hasEvidence(
  world: World,
  task: SimTask,
  state: Pick<SimStepState, "documents" | "codeResults">,
): boolean {
  const searches = task.steps.filter((s) => s.mode === "search");
  if (searches.length > 0) return searches.every((s) => hasDoc(state.documents, s.goldDocId));
  if (task.steps.some((s) => s.mode === "code"))
    return state.codeResults.some((r) => r.exitCode === 0 && world.check(task, lastLine(r.stdout)) === 1);
  return true;
}

/**
 * Which step of the plan a request is at, from the state: a search step is the first whose gold document is not yet
 * retrieved (so a second hop needs the first hop's document); a code step counts the programs already run.
 */
export function planIndexOf(task: SimTask, state: SimStepState): number | null {
  const idx = task.steps.map((s, i) => (s.mode === state.mode ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return null;
  if (state.mode === "search")
    return idx.find((i) => !hasDoc(state.documents, task.steps[i]!.goldDocId)) ?? idx[idx.length - 1]!;
  if (state.mode === "code") return idx[Math.min(state.codeResults.length, idx.length - 1)]!;
  return idx[idx.length - 1]!;
}

/**
 * Decide a simulated agent's output for one step. Deterministic in (world seed, task id, agent, mode, plan step,
 * trajectory step, number of rejected attempts); the chance of a good output is the agent's latent competence for
 * the step's latent skill, and for answers it is cut by `world.noEvidenceFactor` without the evidence.
 */
export function decideSimStep(world: World, profile: SimAgentProfile, task: SimTask, state: SimStepState): SimDecision {
  const planIndex = planIndexOf(task, state);
  const rng = rngFor(
    world.seed,
    "act",
    task.id,
    profile.id,
    state.mode,
    planIndex ?? "-",
    state.step,
    state.attempts.length,
  );
  const u = rng();
  const v = rng();
  const f = task.facts;
  if (planIndex === null) {
    const output =
      state.mode === "search"
        ? f.vagueQuery
        : state.mode === "code"
          ? `print(${JSON.stringify(`no computation needed for: ${task.text.slice(0, 60)}`)})\n`
          : EVASIONS[0]!;
    return {
      skill: null,
      planIndex,
      probability: 0,
      evidence: false,
      outcome: "off_plan",
      output,
      ...(state.mode === "code" ? { language: "python" as const } : {}),
    };
  }
  const skill = task.steps[planIndex]!.skill;
  const p = profile.competence[skill];
  if (p === undefined)
    throw new RangeError(
      `sim: agent ${profile.id} has no competence for skill ${skill} (mode ${state.mode}); it does not serve this mode`,
    );

  if (state.mode === "search") {
    const hop = task.steps.slice(0, planIndex).filter((s) => s.mode === "search").length;
    if (u < p)
      return { skill, planIndex, probability: p, evidence: false, outcome: "good", output: f.goodQueries[hop]! };
    const wrong = v < 0.5;
    return {
      skill,
      planIndex,
      probability: p,
      evidence: false,
      outcome: wrong ? "wrong" : "vague",
      output: wrong ? f.wrongQueries[hop]! : f.vagueQuery,
    };
  }

  if (state.mode === "code") {
    const good = f.program!;
    if (u < p)
      return {
        skill,
        planIndex,
        probability: p,
        evidence: false,
        outcome: "good",
        output: good.source,
        language: "python",
      };
    const bug = f.buggyPrograms[Math.floor(v * f.buggyPrograms.length)]!;
    return {
      skill,
      planIndex,
      probability: p,
      evidence: false,
      outcome: "buggy",
      output: bug.source,
      language: "python",
    };
  }

  const evidence = hasEvidence(world, task, state);
  const q = evidence ? p : p * world.noEvidenceFactor;
  if (u < q) return { skill, planIndex, probability: q, evidence, outcome: "good", output: task.answer };
  const fresh = f.wrongAnswers.filter((w) => !state.attempts.includes(w));
  if (v < world.evasiveRate || fresh.length === 0) {
    return {
      skill,
      planIndex,
      probability: q,
      evidence,
      outcome: "evasive",
      output: EVASIONS[Math.floor(rng() * EVASIONS.length)]!,
    };
  }
  // The most tempting wrong values come first and are drawn most often.
  const w = fresh[Math.floor(rng() ** 2 * fresh.length)]!;
  return { skill, planIndex, probability: q, evidence, outcome: "wrong", output: w };
}
