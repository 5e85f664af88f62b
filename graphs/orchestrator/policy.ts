import type { Handbook } from "../../handbook/index.js";
import { skillIdentifier } from "../../handbook/identify.js";
import { SkillMatcher } from "../../handbook/matcher.js";
import { MODES, type Mode } from "../../src/core/modes.js";
import type { CodeResult, Document } from "../../src/core/types.js";

/** What a policy sees at one step. */
export interface PolicyInput {
  /** `modes`: the tool modes the task says it needs, in order (absent: the mode rule decides). */
  task: { text: string; modes?: readonly Mode[] };
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

interface ModeIndex {
  matcher: SkillMatcher;
  /** Per indexed query: the modes it was an example of. */
  modes: Map<string, Set<Mode>>;
}

const modeIndexes = new WeakMap<Handbook, ModeIndex>();

/**
 * An index of the handbook's example queries (the modes' own and every skill's), each tagged with the modes it was
 * an example of. Mode need is then a vote of the nearest examples, which does not depend on the granularity the
 * handbook is viewed at (a depth-0 view folds the removed skills' examples into the mode). Built once per handbook.
 */
function modeIndexOf(h: Handbook): ModeIndex {
  let idx = modeIndexes.get(h);
  if (!idx) {
    const modes = new Map<string, Set<Mode>>();
    const tag = (text: string, mode: Mode) => {
      const key = text.trim();
      if (key) modes.set(key, (modes.get(key) ?? new Set<Mode>()).add(mode));
    };
    for (const mode of MODES) for (const e of h.modes[mode]?.examples ?? []) tag(e, mode);
    for (const s of Object.values(h.skills)) for (const e of s.examples) tag(e, s.mode);
    const texts = [...modes.keys()];
    const matcher = new SkillMatcher(
      texts.map((text, i) => ({
        id: `q${i}`,
        mode: [...modes.get(text)!][0]!,
        name: "",
        description: "",
        indicators: [],
        examples: [text],
      })),
    );
    idx = { matcher, modes: new Map(texts.map((text, i) => [`q${i}`, modes.get(text)!])) };
    modeIndexes.set(h, idx);
  }
  return idx;
}

/**
 * Relevance of each mode to a text (0..1): the score-weighted share of the `k` most similar example queries that
 * were examples of that mode. A mode with no examples gets 0.
 */
export function modeRelevance(h: Handbook, text: string, k = 10): Record<Mode, number> {
  const rel: Record<Mode, number> = { search: 0, code: 0, answer: 0 };
  const { matcher, modes } = modeIndexOf(h);
  const hits = matcher.match(text).slice(0, k);
  const total = hits.reduce((a, x) => a + x.score, 0);
  if (total <= 0) return rel;
  for (const x of hits) for (const m of modes.get(x.id) ?? []) rel[m] += x.score / total;
  return rel;
}

/**
 * The offline mode rule. Search while the task calls for it and no evidence has been gathered since the last
 * rejected answer, or after a rejected answer when nothing at all has been gathered; run code once (twice if the first run failed) when the task calls for it; otherwise answer.
 * A mode "calls for it" when at least `threshold` of the most similar example queries used it (`modeRelevance`).
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
  // An answer was rejected and nothing has been gathered: look for evidence, whatever the examples say.
  const empty = input.documents.length === 0 && input.codeResults.length === 0;
  const wantSearch =
    has("search") &&
    ((relevance.search >= threshold && searches < 1 + input.attempts.length) ||
      (empty && searches < input.attempts.length));
  const wantCode = has("code") && relevance.code >= threshold && !codeOk && codeRuns < 2;
  if (wantCode && relevance.code >= relevance.search)
    return {
      mode: "code",
      reason: `code skills match the task (relevance ${relevance.code.toFixed(2)}) and no program has run successfully`,
    };
  if (wantSearch)
    return {
      mode: "search",
      reason:
        relevance.search >= threshold
          ? `search skills match the task (relevance ${relevance.search.toFixed(2)}); ${searches} search(es) so far, ${input.attempts.length} rejected answer(s)`
          : `an answer was rejected and no evidence has been gathered: search`,
    };
  if (wantCode)
    return {
      mode: "code",
      reason: `code skills match the task (relevance ${relevance.code.toFixed(2)}) and no program has run successfully`,
    };
  if (has("answer")) return { mode: "answer", reason: "no further evidence is called for: answer" };
  return { mode: input.available[0] ?? "answer", reason: "only this mode is available" };
}

/**
 * The mode of a task that names its tool modes: the next of them in order (one step each, skipping those that
 * cannot run), then the answer.
 */
export function plannedMode(input: PolicyInput, plan: readonly Mode[]): { mode: Mode; reason: string } {
  const tools = plan.filter((m) => m !== "answer");
  const done = input.steps.filter((s) => s.mode !== "answer").length;
  for (let i = done; i < tools.length; i++)
    if (input.available.includes(tools[i]!))
      return {
        mode: tools[i]!,
        reason: `the task names its modes (${tools.join(", ")}): step ${i + 1} is ${tools[i]}`,
      };
  return { mode: "answer", reason: `the task names its modes (${tools.join(", ") || "none"}): all done, answer` };
}

/** The text the matcher scores for a mode: the task, plus what the trajectory has gathered so far. */
export function matchText(input: PolicyInput): string {
  const titles = input.documents
    .slice(-3)
    .map((d) => d.title)
    .join(" ");
  return titles ? `${input.task.text} ${titles}` : input.task.text;
}

/** The offline policy: no model; the task's own modes or the mode rule above, then skills from the handbook's lexical matcher for that mode. */
export function offlineChoice(input: PolicyInput, h: Handbook): PolicyChoice {
  const { mode, reason } = input.task.modes
    ? plannedMode(input, input.task.modes)
    : chooseModeOffline(input, modeRelevance(h, input.task.text));
  return { mode, reason, skills: skillIdentifier(h).identify(matchText(input), mode) };
}
