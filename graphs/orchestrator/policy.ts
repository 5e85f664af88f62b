import type { Mode } from "../../src/modes.js";
import type { CodeResult, Document } from "../../src/providers/types.js";
import { skillWeights, type SkillMatcher } from "../../handbook/matcher.js";

/** What a policy sees at one step. */
export interface PolicyInput {
  task: { text: string };
  steps: { mode: Mode; error?: string }[];
  documents: Document[];
  codeResults: CodeResult[];
  attempts: string[];
  /** Modes that can run now: served by an agent, and (for search) with a search backend. */
  available: Mode[];
}

/** What a policy decides: the mode, why, and the active skills with weights summing to 1 (or none). */
export interface PolicyChoice {
  mode: Mode;
  reason: string;
  skills: { id: string; weight: number }[];
}

/** Relevance of each mode to a text: the best skill score in the mode over the best score overall (0..1). */
export function modeRelevance(matcher: SkillMatcher, text: string): Record<Mode, number> {
  const rel: Record<Mode, number> = { search: 0, code: 0, answer: 0 };
  const matches = matcher.match(text);
  const top = matches[0]?.score ?? 0;
  if (top <= 0) return rel;
  for (const m of matches) rel[m.mode] = Math.max(rel[m.mode], m.score / top);
  return rel;
}

/**
 * The offline mode rule. Search while the task calls for it and no evidence has been gathered since the last
 * rejected answer; run code once (twice if the first run failed) when the task calls for it; otherwise answer.
 * A mode "calls for it" when its best-matching skill scores at least `threshold` of the best skill overall.
 */
export function chooseModeOffline(
  input: PolicyInput,
  relevance: Record<Mode, number>,
  threshold = 0.5,
): { mode: Mode; reason: string } {
  const has = (m: Mode) => input.available.includes(m);
  const searches = input.steps.filter((s) => s.mode === "search").length;
  const codeRuns = input.steps.filter((s) => s.mode === "code").length;
  const codeOk = input.codeResults.some((c) => c.exitCode === 0 && c.stdout.trim() !== "");
  const wantSearch = has("search") && relevance.search >= threshold && searches < 1 + input.attempts.length;
  const wantCode = has("code") && relevance.code >= threshold && !codeOk && codeRuns < 2;
  if (wantCode && relevance.code >= relevance.search)
    return { mode: "code", reason: `code skills match the task (relevance ${relevance.code.toFixed(2)}) and no program has run successfully` };
  if (wantSearch)
    return {
      mode: "search",
      reason: `search skills match the task (relevance ${relevance.search.toFixed(2)}); ${searches} search(es) so far, ${input.attempts.length} rejected answer(s)`,
    };
  if (wantCode)
    return { mode: "code", reason: `code skills match the task (relevance ${relevance.code.toFixed(2)}) and no program has run successfully` };
  if (has("answer")) return { mode: "answer", reason: "no further evidence is called for: answer" };
  return { mode: input.available[0] ?? "answer", reason: "only this mode is available" };
}

/** The text the matcher scores for a mode: the task, plus what the trajectory has gathered so far. */
export function matchText(input: PolicyInput): string {
  const titles = input.documents.slice(-3).map((d) => d.title).join(" ");
  return titles ? `${input.task.text} ${titles}` : input.task.text;
}

/** The offline policy: no model; the mode rule above, then skills from the lexical matcher for that mode. */
export function offlineChoice(input: PolicyInput, matcher: SkillMatcher): PolicyChoice {
  const { mode, reason } = chooseModeOffline(input, modeRelevance(matcher, input.task.text));
  return { mode, reason, skills: skillWeights(matcher.match(matchText(input), mode)) };
}
