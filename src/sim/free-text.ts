/**
 * Simulated agents on free text: a task that is not one of the world's (a user's own question at a server's first
 * contact) gets a deterministic, clearly simulated step instead of an error. The chance of a good step is the
 * agent's mean latent competence in the mode; every output is labelled simulated by the provider.
 *
 * - search: the task's content words (a good query) or its first word (a vague one), run on the world's corpus;
 * - code: a program that prints the arithmetic expression in the task (good) or 0 (buggy), or a note that nothing
 *   needs computing;
 * - answer: the last program output, else the title of the retrieved document that shares most words with the task
 *   (good), else an evasion, which the orchestrator rejects.
 */
import { rngFor } from "../core/random.js";
import { EVASIONS, type SimDecision, type SimStepState } from "./act.js";
import { SKILLS } from "./skills.js";
import type { SimAgentProfile } from "./types.js";

const STOP = new Set(
  "a an and are as at be by for from how in is it of on or the this to was were what when where which who why with"
    .split(" ")
    .filter(Boolean),
);

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const contentWords = (text: string) => words(text).filter((w) => !STOP.has(w));

/** The agent's mean latent competence over the world's skills of a mode. */
function modeCompetence(profile: SimAgentProfile, mode: SimStepState["mode"]): number {
  const ps = SKILLS.filter((s) => s.mode === mode)
    .map((s) => profile.competence[s.id])
    .filter((p): p is number => p !== undefined);
  return ps.length ? ps.reduce((a, p) => a + p, 0) / ps.length : 0;
}

const EXPRESSION = /(?:\d+(?:\.\d+)?\s*[-+*/^]\s*)+\d+(?:\.\d+)?/;

/** A deterministic simulated step for a task the world does not know, from its text. */
export function decideFreeText(
  seed: number,
  profile: SimAgentProfile,
  task: { id: string; text: string },
  state: SimStepState,
): SimDecision {
  const rng = rngFor(seed, "free", task.id, task.text, profile.id, state.mode, state.step, state.attempts.length);
  const p = modeCompetence(profile, state.mode);
  const good = rng() < p;
  const base = { skill: null, planIndex: null, probability: p, evidence: false };
  if (state.mode === "search") {
    const terms = contentWords(task.text);
    const output = good ? terms.slice(0, 8).join(" ") : (words(task.text)[0] ?? "information");
    return { ...base, outcome: good ? "good" : "vague", output: output || task.text };
  }
  if (state.mode === "code") {
    const expr = EXPRESSION.exec(task.text)?.[0]?.replace(/\^/g, "**");
    const output = expr
      ? `print(${good ? expr : "0"})\n`
      : `print(${JSON.stringify(`no computation needed for: ${task.text.slice(0, 60)}`)})\n`;
    return { ...base, outcome: expr && !good ? "buggy" : "good", output, language: "python" };
  }
  const run = [...state.codeResults].reverse().find((r) => r.exitCode === 0 && r.stdout.trim() !== "");
  const stdout = run?.stdout.trim().split("\n").at(-1);
  const terms = new Set(contentWords(task.text));
  const doc = [...state.documents]
    .map((d) => ({ d, overlap: contentWords(`${d.title} ${d.text}`).filter((w) => terms.has(w)).length }))
    .sort((a, b) => b.overlap - a.overlap)[0];
  const evidence = stdout !== undefined || (doc !== undefined && doc.overlap > 0);
  if (good && evidence)
    return { ...base, evidence, outcome: "good", output: stdout !== undefined ? stdout : doc!.d.title };
  return { ...base, evidence, outcome: "evasive", output: EVASIONS[1]! };
}
