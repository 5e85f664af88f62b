import { type BaseStore, Command, END, interrupt } from "@langchain/langgraph";
import { ZodError, z } from "zod";
import { renderHandbook } from "../../handbook/index.js";
import type { Mode } from "../../src/core/modes.js";
import { AgentCallError, isStructuredOutputError } from "../../src/providers/runtime.js";
import type { StepRequest, StepResult } from "../../src/providers/types.js";
import { rejectionOf } from "./accept.js";
import { checkRunInput } from "./input.js";
import { resolveSettings, type OrchestratorContextType, type OrchestratorSettings } from "./configuration.js";
import { offlineChoice, type PolicyInput } from "./policy.js";
import { cleanSkills, policyMessages, PolicyReplySchema } from "./prompts.js";
import { availableModes, servingHandbook, type OrchestratorResources, type RunScope } from "./resources.js";
import { runDeadlineAt } from "./deadline.js";
import { decideStep, judgeStep, openStep, type StepChoice, type StepWorld, type Verdict } from "./step.js";
import { answerKey, answerKind } from "../../tools/answer/key.js";
import type {
  AgentFailure,
  Dispatch,
  OrchestratorStateType,
  OrchestratorUpdate,
  RoutingDecision,
  Step,
  StopReason,
} from "./state.js";

export type Resolve = (
  context: Partial<OrchestratorContextType> | undefined,
  run?: RunScope,
) => Promise<OrchestratorResources>;

/** The run's store and the published handbook version its decisions so far were made with. */
const scopeOf = (state: OrchestratorStateType, runtime: Runtime): RunScope => {
  const pinned = state.decisions.find((d) => d.handbookVersion)?.handbookVersion;
  return { ...(runtime.store ? { store: runtime.store } : {}), ...(pinned ? { pinned } : {}) };
};

interface Runtime {
  context?: Partial<OrchestratorContextType>;
  store?: BaseStore;
  writer?: (chunk: unknown) => void;
  signal?: AbortSignal;
}

/** What a human may answer at an interrupt before a costly step. */
export const ApprovalReplySchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({ action: z.literal("redirect"), agent: z.string().min(1) }),
  z.object({ action: z.literal("stop") }),
]);
export type ApprovalReply = z.infer<typeof ApprovalReplySchema>;

/** A reply to the approval interrupt, checked: its shape, and that a redirect names an agent serving the mode. */
export function checkApproval(
  value: unknown,
  serving: readonly string[],
  mode: Mode,
): { ok: true; reply: ApprovalReply } | { ok: false; error: string } {
  const parsed = ApprovalReplySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? `$.${issue.path.join(".")}` : "$";
    return {
      ok: false,
      error: `invalid reply ${JSON.stringify(value) ?? String(value)}: ${at}: ${issue.message} (reply {"action": "approve"}, {"action": "stop"} or {"action": "redirect", "agent": ID})`,
    };
  }
  const reply = parsed.data;
  if (reply.action === "redirect" && !serving.includes(reply.agent))
    return {
      ok: false,
      error: `redirect: agent ${reply.agent} does not serve mode ${mode} (agents: ${serving.join(", ")})`,
    };
  return { ok: true, reply };
}

const HANDBOOK_PROMPT_CHARS = 6000;

/** The orchestrator model chose a mode that cannot run now. */
class UnavailableModeError extends Error {}

/** Choose mode and skills: the LLM policy when an orchestrator model is set, falling back to the offline policy. */
async function choose(
  r: OrchestratorResources,
  input: PolicyInput,
  signal?: AbortSignal,
  deadlineAt?: number,
): Promise<StepChoice> {
  const offline = () => offlineChoice(input, r.handbook);
  if (!r.orchestratorModel) return { ...offline(), policy: "offline", costUsd: 0 };
  let costUsd = 0;
  try {
    const reply = await r.orchestratorModel.chat(
      policyMessages(input, renderHandbook(r.handbook, { modes: input.available, budget: HANDBOOK_PROMPT_CHARS })),
      {
        schema: PolicyReplySchema,
        schemaName: "route_step",
        ...(signal ? { signal } : {}),
        ...(deadlineAt !== undefined ? { deadlineAt } : {}),
      },
    );
    costUsd = reply.costUsd;
    const parsed = PolicyReplySchema.parse(reply.structured);
    if (!input.available.includes(parsed.mode)) throw new UnavailableModeError(`mode ${parsed.mode} is not available`);
    const skills = cleanSkills(parsed.skills, parsed.mode, (id) => r.handbook.skills[id]?.mode);
    return { mode: parsed.mode, reason: parsed.reason, skills, policy: "llm", costUsd };
  } catch (err) {
    // Only a reply in the wrong shape falls back; a failed call (auth, server error, timeout) is not hidden.
    if (!isStructuredOutputError(err) && !(err instanceof UnavailableModeError) && !(err instanceof ZodError))
      throw err;
    const why = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 160) : String(err);
    // A reply that did not parse was still billed.
    if (isStructuredOutputError(err)) costUsd = err.costUsd ?? 0;
    return { ...offline(), policy: "offline", policyError: `llm failed: ${why}`, costUsd };
  }
}

/** The context's fields that are set (a Studio form sends unset fields as undefined or null). */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** A call that failed for good, as recorded in state. Errors other than AgentCallError count as one attempt. */
function failureOf(
  err: unknown,
  f: Pick<AgentFailure, "step" | "role" | "mode" | "agent" | "skills" | "forced">,
): AgentFailure {
  if (err instanceof AgentCallError) {
    const detail = err.bodyExcerpt ?? err.detail;
    return { ...f, error: err.what, ...(detail ? { detail } : {}), attempts: err.attempts, deadline: err.deadline };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ...f, error: message.split("\n")[0]!.slice(0, 200), attempts: 1, deadline: false };
}

/** The end of a run whose call failed for good: `deadline` when the run's deadline is past, else `agent_error`. */
function endWithFailure(failure: AgentFailure, runtime: Runtime, pastDeadline = failure.deadline): Command {
  runtime.writer?.({ type: "failure", ...failure });
  return new Command({
    goto: END,
    update: { failures: [failure], stopReason: pastDeadline ? "deadline" : "agent_error", dispatch: null },
  });
}

/** Send a decision: stream it, record it, and route to its mode's node. */
function dispatchTo(
  decision: RoutingDecision,
  dispatch: Dispatch,
  runtime: Runtime,
  extra: OrchestratorUpdate = {},
): Command {
  runtime.writer?.({ type: "decision", ...decision });
  return new Command({ goto: dispatch.mode, update: { ...extra, dispatch, decisions: [decision] } });
}

/** The pure step's view of a run: the serving handbook, the pool's agents and the run's settings. */
function worldOf(r: OrchestratorResources, s: OrchestratorSettings, candidate: string | undefined): StepWorld {
  return {
    handbook: r.handbook,
    agents: [...r.agents.values()].map((a) => ({ id: a.spec.id, modes: a.spec.modes })),
    settings: s,
    ...(candidate ? { candidate } : {}),
    ...(r.handbookVersion ? { handbookVersion: r.handbookVersion } : {}),
  };
}

/** A consultation's verdict as a Command: end with the accepted answer, or dispatch the next agent. */
function verdictCommand(v: Verdict, runtime: Runtime): Command {
  if (v.kind === "consult") return dispatchTo(v.decision, v.dispatch, runtime, { consulting: v.consulting });
  runtime.writer?.({ type: "decision", ...v.decision });
  return new Command({
    goto: END,
    update: {
      decisions: [v.decision],
      finalAnswer: v.answer,
      stopReason: "answered",
      dispatch: null,
      consulting: v.consulting,
    },
  });
}

/**
 * The orchestrator node: reads the state, asks the policy for the step's mode and skills when the step needs it
 * (its only I/O), and turns the pure step's result (step.ts) into a Command: dispatch to the mode's node, hand
 * over to `approve` (asking is on and the step would exceed the budget), judge a consultation, or end.
 */
export function orchestrateNode(resolve: Resolve) {
  return async (state: OrchestratorStateType, runtime: Runtime): Promise<Command> => {
    // A malformed input (from the API, Studio or code) is refused before anything runs, naming the field.
    if (state.steps.length === 0 && state.decisions.length === 0) checkRunInput(state);
    const loaded = await resolve(runtime.context, scopeOf(state, runtime));
    const settings = resolveSettings(
      { ...loaded.defaults, ...definedOnly(runtime.context) },
      state.settings ?? undefined,
    );
    // With a learned selection, the run's λ or budget picks the candidate handbook (and the λ) it is routed with.
    const serving = servingHandbook(loaded, settings);
    const r = { ...loaded, handbook: serving.handbook };
    const s = { ...settings, lambda: serving.lambda };
    const w = worldOf(r, s, serving.candidate);
    const available = availableModes(r);
    const stop = (reason: StopReason, costUsd = 0) =>
      new Command({ goto: END, update: { stopReason: reason, dispatch: null, costUsd } });
    const deadlineAt = runDeadlineAt(runtime, s.deadlineMs);

    const open = openStep(w, state, available, Date.now(), deadlineAt);
    if (open.kind === "judge")
      return verdictCommand(judgeStep(w, state, state.consulting!, open.pastDeadline), runtime);
    if (open.kind === "stop") return stop(open.reason);
    let choice: StepChoice;
    if (open.kind === "given") choice = open.choice;
    else {
      try {
        choice = await choose(r, open.input, runtime.signal, deadlineAt);
      } catch (err) {
        // The orchestrator model failed for good (its provider retried): the run ends saying so.
        if (runtime.signal?.aborted || !r.orchestratorModel) throw err;
        const failure = failureOf(err, {
          step: state.steps.length,
          role: "policy",
          mode: null,
          agent: r.orchestratorModel.spec.id,
          skills: [],
          forced: false,
        });
        return endWithFailure(failure, runtime, failure.deadline || Date.now() >= deadlineAt);
      }
    }

    const out = decideStep(w, state, choice, available);
    if (out.kind === "judge") return verdictCommand(judgeStep(w, state, state.consulting!, true), runtime);
    if (out.kind === "stop") return stop(out.reason, out.costUsd);
    const update: OrchestratorUpdate = {
      costUsd: out.costUsd,
      ...(out.consulting ? { consulting: out.consulting } : {}),
    };
    if (out.approve)
      return new Command({
        goto: "approve",
        update: { ...update, pending: { decision: out.decision, dispatch: out.dispatch, budgetUsd: s.budgetUsd! } },
      });
    return dispatchTo(out.decision, out.dispatch, runtime, update);
  };
}

/**
 * The human check before a step that would exceed the budget: `interrupt()` with the decision, then approve (run
 * it), redirect (run it with another candidate) or stop. On resume only this node runs again, so the policy is not
 * asked twice and the human's reply applies to the decision they saw.
 */
export function approveNode() {
  return async (state: OrchestratorStateType, runtime: Runtime): Promise<Command> => {
    const p = state.pending;
    if (!p) throw new Error("approve node reached without a pending decision");
    const { decision, dispatch } = p;
    const chosen = dispatch.agent;
    const cheaper = decision.record.candidates
      .filter((c) => (c.cost ?? 0) < decision.expectedCostUsd)
      .sort((a, b) => (a.cost ?? 0) - (b.cost ?? 0));
    const payload = {
      kind: "approve_step",
      step: decision.step,
      mode: decision.mode,
      agent: chosen,
      expectedCostUsd: decision.expectedCostUsd,
      costSoFarUsd: state.costUsd,
      budgetUsd: p.budgetUsd,
      cheaper: cheaper.map((c) => ({ agent: c.agent, expectedCostUsd: c.cost, score: c.score })),
    };
    // A reply that is not valid (an unknown action, an agent that does not serve the mode) asks again, with the
    // error in the payload: the thread waits for a valid reply and is never broken by a bad one.
    const serving = decision.record.candidates.map((c) => c.agent);
    let reply: ApprovalReply | undefined;
    let error: string | undefined;
    while (!reply) {
      const checked = checkApproval(interrupt(error ? { ...payload, error } : payload), serving, decision.mode);
      if (checked.ok) reply = checked.reply;
      else error = checked.error;
    }
    if (reply.action === "stop")
      return new Command({ goto: END, update: { stopReason: "stopped_by_user", dispatch: null, pending: null } });
    if (reply.action === "redirect") {
      const to = decision.record.candidates.find((c) => c.agent === reply.agent)!;
      const record = {
        ...decision.record,
        chosen: reply.agent,
        reason: `redirected by a human from ${chosen} to ${reply.agent}`,
      };
      return dispatchTo(
        { ...decision, record, expectedCostUsd: to.cost ?? 0, human: "redirected" },
        { ...dispatch, agent: reply.agent },
        runtime,
        { pending: null },
      );
    }
    return dispatchTo({ ...decision, human: "approved" }, dispatch, runtime, { pending: null });
  };
}

function stepOf(
  state: OrchestratorStateType,
  d: Dispatch,
  input: string,
  observation: string,
  res?: StepResult,
  error?: string,
): Step {
  return {
    index: state.steps.length,
    mode: d.mode,
    agent: d.agent,
    input,
    observation,
    costUsd: res?.costUsd ?? 0,
    costEstimated: res?.costEstimated ?? false,
    promptTokens: res?.usage.promptTokens ?? 0,
    completionTokens: res?.usage.completionTokens ?? 0,
    latencyMs: res?.latencyMs ?? 0,
    simulated: res?.simulated ?? false,
    ...(error ? { error } : {}),
  };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** A sub-agent node: the dispatched agent acts in its mode, the mode's tool runs, the state records the step. */
export function modeNode(mode: Mode, resolve: Resolve) {
  return async (state: OrchestratorStateType, runtime: Runtime): Promise<Command> => {
    const r = await resolve(runtime.context, scopeOf(state, runtime));
    const d = state.dispatch;
    if (!d || d.mode !== mode) throw new Error(`${mode} node reached without a ${mode} dispatch`);
    const agent = r.agents.get(d.agent);
    if (!agent) throw new Error(`dispatch names agent ${d.agent}, which is not in the pool`);
    const request: StepRequest = {
      mode,
      task: { id: state.task.id, text: state.task.text, ...(state.task.family ? { family: state.task.family } : {}) },
      step: state.steps.length,
      documents: state.documents,
      codeResults: state.codeResults,
      attempts: state.attempts,
      skills: d.skills,
    };
    const loaded = resolveSettings({ ...r.defaults, ...definedOnly(runtime.context) }, state.settings ?? undefined);
    const deadlineAt = runDeadlineAt(runtime, loaded.deadlineMs);
    let res: StepResult;
    try {
      res = await agent.act(request, { ...(runtime.signal ? { signal: runtime.signal } : {}), deadlineAt });
    } catch (err) {
      if (runtime.signal?.aborted) throw err;
      if (!isStructuredOutputError(err)) {
        // Failed for good (the provider made every attempt it may): re-route the step, or end at the deadline.
        const failure = failureOf(err, {
          step: state.steps.length,
          role: "step",
          mode,
          agent: d.agent,
          skills: d.skills,
          forced: d.forced,
        });
        if (failure.deadline || Date.now() >= deadlineAt) return endWithFailure(failure, runtime, true);
        runtime.writer?.({ type: "failure", ...failure });
        return new Command({ goto: "orchestrate", update: { failures: [failure] } });
      }
      const cost = err.costUsd ?? 0;
      const update: OrchestratorUpdate = {
        steps: [
          {
            ...stepOf(state, d, "", `unusable output from ${d.agent}`, undefined, err.message),
            costUsd: cost,
            costEstimated: err.costEstimated ?? false,
          },
        ],
        costUsd: cost,
      };
      return new Command({ goto: "orchestrate", update });
    }
    const base = { costUsd: res.costUsd };
    if (mode === "search") {
      if (!r.search) throw new Error("search node reached with no search backend");
      const passages = await r.search.search(res.output, 5);
      const documents = passages.map((p) => ({ id: p.id, title: p.title, text: p.text, score: p.score }));
      const observation = documents.length ? documents.map((p) => p.title).join("; ") : "no documents found";
      return new Command({
        goto: "orchestrate",
        update: { ...base, documents, steps: [stepOf(state, d, res.output, observation, res)] },
      });
    }
    if (mode === "code") {
      const result = await r.runCode(res.language ?? "python", res.output, runtime.signal);
      const observation = clip(
        `exit ${result.exitCode}${result.limit ? ` (${result.limit} limit)` : ""}: ${result.stdout || result.stderr}`,
        500,
      );
      return new Command({
        goto: "orchestrate",
        update: { ...base, codeResults: [result], steps: [stepOf(state, d, res.output, observation, res)] },
      });
    }
    const answer = res.output.trim();
    const rejected = d.forced ? null : rejectionOf(answer);
    const c = d.consult ? state.consulting : null;
    if (c) {
      // Within a consultation the orchestrator judges each answer; a rejected one does not count, but the answers
      // before it are still judged.
      if (rejected)
        return new Command({
          goto: "orchestrate",
          update: {
            ...base,
            attempts: [answer],
            steps: [stepOf(state, d, answer, `rejected: ${rejected}`, res)],
            consulting: { ...c, awaiting: c.answers.length > 0 },
          },
        });
      const key = answerKey(answer, answerKind(state.task.text));
      const given = { step: state.steps.length, agent: d.agent, text: answer, key };
      return new Command({
        goto: "orchestrate",
        update: {
          ...base,
          steps: [
            stepOf(
              state,
              d,
              answer,
              `answered (${key === null ? "no answer read" : `answer ${clip(key, 60)}`}); judged next`,
              res,
            ),
          ],
          consulting: { ...c, answers: [...c.answers, given], awaiting: true },
        },
      });
    }
    if (rejected) {
      return new Command({
        goto: "orchestrate",
        update: { ...base, attempts: [answer], steps: [stepOf(state, d, answer, `rejected: ${rejected}`, res)] },
      });
    }
    return new Command({
      goto: END,
      update: {
        ...base,
        finalAnswer: answer,
        stopReason: d.forced ? "forced_answer" : "answered",
        dispatch: null,
        steps: [stepOf(state, d, answer, "accepted", res)],
      },
    });
  };
}
