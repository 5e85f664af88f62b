import { createHash, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import type { ApprovalReply } from "../../graphs/orchestrator/nodes.js";
import type { OrchestratorResources } from "../../graphs/orchestrator/resources.js";
import type {
  AgentFailure,
  OrchestratorStateType,
  RoutingDecision,
  RunOverrides,
  Step,
  Task,
} from "../../graphs/orchestrator/state.js";
import { InputError } from "../core/errors.js";
import { recordsStoreName } from "../records/run-sink.js";
import type { SimAgent } from "../sim/provider.js";
import { checkpointTarget, openCheckpointer, POSTGRES_ENV } from "./checkpoint.js";

export const DEFAULT_THREADS_DB = ".skillorchestra/threads.sqlite";

interface RunFlags {
  handbook: string;
  /** Where `--handbook store:NAME[@vN]` is published (see src/registry/open.ts). */
  store?: string;
  pool: string;
  lambda?: number;
  budget?: number;
  maxSteps?: number;
  corpus?: string;
  orchestratorModel?: string;
  taskId?: string;
  stream?: boolean;
  json?: boolean;
  thread?: string;
  db?: string;
  checkpoint?: string;
  ask?: boolean;
  approve?: boolean;
  redirect?: string;
  stop?: boolean;
  deadline?: number;
  records?: string;
  exploreRate?: number;
}

/** The reply to a paused thread's approval request, from --approve, --redirect or --stop (at most one). */
function replyOf(o: RunFlags): ApprovalReply | undefined {
  const given = [
    o.approve ? "--approve" : "",
    o.redirect !== undefined ? "--redirect" : "",
    o.stop ? "--stop" : "",
  ].filter(Boolean);
  if (given.length > 1) throw new InputError(`${given.join(", ")}: give at most one reply to the approval request`);
  if (given.length === 1 && !o.thread) throw new InputError(`${given[0]}: needs --thread, the paused thread to answer`);
  if (o.approve) return { action: "approve" };
  if (o.redirect !== undefined) return { action: "redirect", agent: o.redirect };
  if (o.stop) return { action: "stop" };
  return undefined;
}

const usd = (x: number) => `$${x.toFixed(7)}`;
const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
};

/** How a cost is labelled: simulated, estimated, or neither. */
function costLabel(simulated: boolean | "partly", estimated: boolean): string {
  const tags = [
    simulated === "partly" ? "partly simulated" : simulated ? "simulated" : "",
    estimated ? "estimated" : "",
  ].filter(Boolean);
  return tags.length ? ` (${tags.join(", ")})` : "";
}

/** One line per routing decision: step, mode, skills with weights, chosen agent, its score, expected cost. */
export function formatDecision(d: RoutingDecision, isSimulated: (agent: string) => boolean = () => false): string {
  const chosen = d.record.chosen ?? "-";
  const score = d.record.candidates.find((c) => c.agent === chosen)?.score;
  const skills = d.record.skills.length
    ? d.record.skills.map((s) => `${s.id} ${s.weight.toFixed(2)}`).join(", ")
    : "(mode level)";
  const flags = [
    d.policyError ? `${d.policy} (${d.policyError})` : d.policy,
    d.forced ? "forced" : "",
    d.explore ? "explore" : "",
    d.human ?? "",
    d.candidate ? `candidate ${d.candidate}, λ=${d.record.lambda.toPrecision(3)}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const c = d.consult;
  if (c?.action === "accept")
    return `decision ${d.step}: accept ${chosen}'s answer (${c.state})  [${flags}]\n  why: ${c.reason}`;
  const line =
    `decision ${d.step}: ${c?.action === "consult" ? "consult" : d.mode}  skills ${skills}  → ${chosen}` +
    `  score ${score === undefined ? "-" : score.toFixed(3)}  expected ${usd(d.expectedCostUsd)}${costLabel(isSimulated(chosen), false)}  [${flags}]`;
  return c ? `${line}\n  why: ${c.reason}` : line;
}

/** One line per step: what the agent wrote and what came back. */
export function formatStep(s: Step): string {
  const wrote =
    s.mode === "code" ? `program of ${s.input.split("\n").length} line(s)` : JSON.stringify(clip(s.input, 80));
  const err = s.error ? `  error: ${clip(s.error, 120)}` : "";
  const tokens = s.promptTokens !== undefined ? `${s.promptTokens}+${s.completionTokens ?? 0} tokens ` : "";
  return `step ${s.index}: ${s.mode} by ${s.agent}: ${wrote} → ${clip(s.observation, 160)}  ${tokens}${usd(s.costUsd)}${costLabel(s.simulated, s.costEstimated)}${err}`;
}

/** The end of a run: the answer, why it stopped, its cost. */
export function formatOutcome(state: OrchestratorStateType, threadId: string): string {
  const sims = state.steps.filter((s) => s.simulated).length;
  const simulated = sims === 0 ? false : sims === state.steps.length ? true : "partly";
  const estimated = state.steps.some((s) => s.costEstimated);
  const prompt = state.steps.reduce((a, st) => a + (st.promptTokens ?? 0), 0);
  const completion = state.steps.reduce((a, st) => a + (st.completionTokens ?? 0), 0);
  const policyUsd = state.decisions.reduce((a, d) => a + (d.policyCostUsd ?? 0), 0);
  return [
    `answer: ${state.finalAnswer ?? "(none)"}`,
    `totals: agents ${prompt} prompt + ${completion} completion tokens, ${usd(state.costUsd - policyUsd)}` +
      (policyUsd > 0 ? `; orchestrator model ${usd(policyUsd)}` : ""),
    `stop: ${state.stopReason ?? "(not finished)"} after ${state.steps.length} step(s); cost ${usd(state.costUsd)}${costLabel(simulated, estimated)}; thread ${threadId}`,
  ].join("\n");
}

/** The trajectory as lines: each decision followed by the step it led to (a re-routed step after its last decision). */
export function formatTrajectory(state: OrchestratorStateType, isSimulated?: (agent: string) => boolean): string[] {
  const lines: string[] = [];
  state.decisions.forEach((d, i) => {
    lines.push(formatDecision(d, isSimulated));
    if (state.decisions.slice(i + 1).some((later) => later.step === d.step)) return;
    const step = state.steps.find((s) => s.index === d.step);
    if (step) lines.push(formatStep(step));
  });
  return lines;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * One line per call that failed for good: `agent X: HTTP 500 after 3 attempts; step 2 re-routed to Y`, or, for the
 * failure that ended the run, why nothing was re-routed.
 */
export function formatFailures(state: OrchestratorStateType): string[] {
  const failures: AgentFailure[] = state.failures ?? [];
  return failures.map((f, i) => {
    const who = f.role === "policy" ? `orchestrator model ${f.agent}` : `agent ${f.agent}`;
    const head = `${who}: ${f.error} after ${plural(f.attempts, "attempt")}${f.detail ? ` (${clip(f.detail, 100)})` : ""}`;
    const rerouted = state.decisions.find((d) => d.step === f.step && d.reroute?.from === f.agent);
    if (rerouted) return `${head}; step ${f.step} re-routed to ${rerouted.record.chosen}`;
    const last = i === failures.length - 1;
    if (last && state.stopReason === "deadline") return `${head}; the run's deadline was reached at step ${f.step}`;
    if (last && state.stopReason === "agent_error")
      return f.role === "policy"
        ? `${head}; the run stopped at step ${f.step}`
        : `${head}; no other ${f.mode} agent left for step ${f.step}: the run stopped`;
    return head;
  });
}

/** A duration: `90` or `90s` (seconds), `1500ms`, `2m`, `1h`; in milliseconds. */
export function parseDuration(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = m ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0)
    throw new InvalidArgumentError(`--deadline must be a duration > 0 such as 90s, 1500ms or 5m, got "${v}"`);
  return ms;
}

/** The whole run as text: the trajectory, then the outcome. */
export function formatRun(
  state: OrchestratorStateType,
  threadId: string,
  isSimulated?: (agent: string) => boolean,
): string {
  return `${[...formatTrajectory(state, isSimulated), formatOutcome(state, threadId)].join("\n")}\n`;
}

function number(name: string, check: (x: number) => boolean, what: string) {
  return (v: string) => {
    const x = Number(v);
    if (v.trim() === "" || !check(x)) throw new InvalidArgumentError(`${name} must be ${what}, got "${v}"`);
    return x;
  };
}

const SIM_TASK_ID = /^sim-?\d+-[A-Za-z0-9_]+-\d+$/;

/**
 * The task to run. For a pool with sim agents, a task id of their world (the text itself, or --task-id) runs that
 * task with the world's text; any other text is free text, which sim agents answer with simulated steps
 * (src/sim/free-text.ts): `onFreeSim` is told so. Otherwise the text given, its id --task-id or a hash of the text.
 */
function resolveTask(
  text: string,
  taskId: string | undefined,
  r: OrchestratorResources,
  onFreeSim: (line: string) => void,
): Task {
  const sim = [...r.agents.values()].find((a) => a.spec.provider === "sim") as SimAgent | undefined;
  const hashed = () => `task-${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
  if (sim) {
    const id = taskId ?? (SIM_TASK_ID.test(text.trim()) ? text.trim() : undefined);
    if (id !== undefined && SIM_TASK_ID.test(id)) {
      const t = sim.world.task(id);
      return { id: t.id, text: id === text.trim() ? t.text : text, family: t.family };
    }
    onFreeSim(
      `note: the pool's agents are simulated: free text gets simulated steps and a simulated answer, not a model's (a task of their world: an id such as sim${sim.world.seed}-test-0)`,
    );
    return { id: id ?? hashed(), text };
  }
  return { id: taskId ?? hashed(), text };
}

/**
 * Check the handbook's agents against the pool's before the run starts. An agent the handbook routes to that the
 * pool lacks would be chosen and then fail to run: refused, one line naming the pool file and the agents. A pool
 * agent the handbook has no profile of is never routed to, and the run is still correct: a warning lists them. A
 * --redirect to an agent outside the pool is refused too.
 */
export function preflightAgents(
  r: OrchestratorResources,
  o: Pick<RunFlags, "handbook" | "pool" | "orchestratorModel">,
  reply: ApprovalReply | undefined,
  warn: (line: string) => void,
): void {
  const routed = Object.keys(r.handbook.agents).sort();
  const missing = routed.filter((a) => !r.agents.has(a));
  if (missing.length)
    throw new InputError(
      `${o.pool}: $.agents: no agent ${missing.map((a) => `"${a}"`).join(", ")}, which the handbook ${o.handbook} routes to ` +
        `(add ${missing.length > 1 ? "them" : "it"} to the pool, or use a handbook learned on this pool)`,
    );
  if (reply?.action === "redirect" && !r.agents.has(reply.agent))
    throw new InputError(`--redirect: no agent "${reply.agent}" in the pool ${o.pool}`);
  const unprofiled = [...r.agents.keys()].filter((a) => !(a in r.handbook.agents) && a !== o.orchestratorModel).sort();
  if (unprofiled.length)
    warn(
      `warning: ${o.pool}: agent ${unprofiled.map((a) => `"${a}"`).join(", ")} ha${unprofiled.length > 1 ? "ve" : "s"} no profile in the handbook ${o.handbook} and will not be routed to`,
    );
}

async function run(taskArg: string | undefined, o: RunFlags): Promise<void> {
  const out = (s: string) => void process.stdout.write(s);
  const note = (s: string) => void (o.json ? process.stderr : process.stdout).write(s);
  const reply = replyOf(o);
  // The checkpoint store is chosen (and a bad URL refused) first; it is opened once the run's files are valid.
  const target = checkpointTarget(o, DEFAULT_THREADS_DB);
  // A published handbook (src/registry: `store:NAME[@vN]`); the prefix is checked here so the registry loads only then.
  const fromStore = o.handbook.startsWith("store:");
  const recordsToStore = o.records !== undefined && recordsStoreName(o.records, "--records") !== undefined;
  const context: Partial<OrchestratorContextType> = {
    // Answering a paused thread implies asking stays on for its later steps.
    ...(o.ask || reply ? { ask: true } : {}),
    // A published handbook is read from the store each run; a file by its path.
    handbook: fromStore ? o.handbook : resolve(o.handbook),
    pool: resolve(o.pool),
    ...(o.corpus ? { corpus: resolve(o.corpus) } : {}),
    ...(o.orchestratorModel ? { orchestratorModel: o.orchestratorModel } : {}),
    ...(o.deadline !== undefined ? { deadlineMs: o.deadline } : {}),
    ...(o.exploreRate !== undefined ? { exploreRate: o.exploreRate } : {}),
    // A file by its path; store:NAME goes to the store --store names.
    ...(o.records !== undefined ? { records: recordsToStore ? o.records : resolve(o.records) } : {}),
  };
  // The graph, the checkpointer and the providers load after the flags are checked, so bad flags fail fast.
  const [{ Command: LangGraphCommand }, { buildOrchestratorGraph }, { resolveFromContext }] = await Promise.all([
    import("@langchain/langgraph"),
    import("../../graphs/orchestrator/graph.js"),
    import("../deploy/orchestrator.js"),
  ]);
  const published =
    fromStore || recordsToStore ? await (await import("../registry/open.js")).openStore(o.store) : undefined;
  if (!published && o.store !== undefined)
    throw new InputError("--store: only with --handbook store:NAME[@vN] or --records store:NAME");
  // Load (and validate) handbook, pool and corpus now: the graph's nodes get the same cached resources.
  const resources = await resolveFromContext(context, published ? { store: published.store } : undefined);
  preflightAgents(resources, o, reply, (line) => void process.stderr.write(`${line}\n`));
  const isSimulated = (agent: string) => resources.agents.get(agent)?.spec.provider === "sim";

  const store = await openCheckpointer(target);
  try {
    const graph = buildOrchestratorGraph(resolveFromContext).compile({
      checkpointer: store.saver,
      ...(published ? { store: published.store } : {}),
      name: "orchestrator",
    });
    const threadId = o.thread ?? randomUUID();
    const thread = { configurable: { thread_id: threadId } };
    const settings: RunOverrides = {
      ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
      ...(o.budget !== undefined ? { budgetUsd: o.budget } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    };

    let input: { task: Task; settings?: RunOverrides } | null = null;
    let resume: ApprovalReply | undefined;
    const saved = o.thread ? await graph.getState(thread) : undefined;
    const existing =
      saved?.values && (saved.values as Partial<OrchestratorStateType>).task
        ? (saved.values as OrchestratorStateType)
        : undefined;
    if (existing && saved) {
      if (taskArg !== undefined && taskArg !== existing.task.text && taskArg !== existing.task.id)
        throw new InputError(
          `--thread ${threadId}: the thread holds another task (${clip(existing.task.text, 60)}); omit the task to resume it`,
        );
      // A thread whose approval was answered with an invalid reply waits again: LangGraph then reports no `next`,
      // only the pending task's new interrupt.
      const waitingNow = saved.tasks.some((t) => t.interrupts.length > 0);
      if (saved.next.length === 0 && !waitingNow) {
        note(`thread ${threadId} has already finished\n`);
        out(o.json ? `${JSON.stringify(existing, null, 2)}\n` : formatRun(existing, threadId, isSimulated));
        return;
      }
      if (Object.keys(settings).length)
        note(`note: the thread keeps the settings it started with; --lambda/--budget/--max-steps are ignored\n`);
      const waiting = saved.tasks.flatMap((t) => t.interrupts.map((i) => i.value));
      if (waiting.length && !reply) {
        note(`thread ${threadId} is paused for approval: ${JSON.stringify(waiting[0])}\n`);
        note(`answer with --thread ${threadId} and one of --approve, --redirect <agent>, --stop\n`);
        return;
      }
      if (reply && !waiting.length)
        throw new InputError(`--thread ${threadId}: the thread is not waiting for approval`);
      note(
        `resuming thread ${threadId} from its last checkpoint: ${existing.steps.length} step(s) kept, next ${saved.next.join(", ")}${reply ? `, reply ${reply.action}` : ""}\n`,
      );
      if (o.stream) for (const line of formatTrajectory(existing, isSimulated)) note(`kept ${line}\n`);
      resume = reply;
    } else {
      if (taskArg === undefined)
        throw new InputError(
          o.thread
            ? `--thread ${o.thread}: no such thread in ${store.where}; give a task to start it`
            : `task: give the task to run`,
        );
      input = {
        task: resolveTask(taskArg, o.taskId, resources, (line) => void process.stderr.write(`${line}\n`)),
        ...(Object.keys(settings).length ? { settings } : {}),
      };
      note(`thread ${threadId}\n`);
    }

    const config = { ...thread, context: context as OrchestratorContextType, durability: "sync" as const };
    if (o.stream) {
      const opts = { ...config, streamMode: ["custom", "updates"] as ("custom" | "updates")[] };
      const stream = resume
        ? await graph.stream(new LangGraphCommand({ resume }), opts)
        : await graph.stream(input, opts);
      for await (const [mode, chunk] of stream) {
        if (mode === "custom" && (chunk as { type?: string }).type === "decision")
          note(`${formatDecision(chunk as RoutingDecision, isSimulated)}\n`);
        if (mode === "updates")
          for (const update of Object.values(chunk as Record<string, { steps?: Step[] } | undefined>))
            for (const s of update?.steps ?? []) note(`${formatStep(s)}\n`);
      }
    } else {
      if (resume) await graph.invoke(new LangGraphCommand({ resume }), config);
      else await graph.invoke(input, config);
    }

    const final = await graph.getState(thread);
    const state = final.values as OrchestratorStateType;
    const pending = final.tasks.flatMap((t) => t.interrupts.map((i) => i.value));
    for (const line of formatFailures(state)) process.stderr.write(`${line}\n`);
    if (o.json) out(`${JSON.stringify(state, null, 2)}\n`);
    else out(o.stream ? `${formatOutcome(state, threadId)}\n` : formatRun(state, threadId, isSimulated));
    // A run that produced no answer because a call failed for good (or the deadline passed) is a failed command.
    if (state.finalAnswer === null && (state.stopReason === "agent_error" || state.stopReason === "deadline"))
      process.exitCode = 1;
    if (pending.length) {
      note(`paused for approval: ${JSON.stringify(pending[0])}\n`);
      note(`answer with --thread ${threadId} and one of --approve, --redirect <agent>, --stop\n`);
    }
  } finally {
    await store.close();
    await published?.close();
  }
}

/**
 * `skillorchestra run "<task>" --handbook H --pool P`: orchestrate one task through the deployed graph, with every
 * step checkpointed (to SQLite, or to PostgreSQL with --checkpoint) so a killed run resumes with `--thread ID`.
 */
export function runCommand(): Command {
  return new Command("run")
    .description("Orchestrate one task: choose mode, skills and agent per step, print the decisions and the answer")
    .argument(
      "[task]",
      "the task text (for a pool of sim agents, free text or a task id of their world such as sim7-test-0); omit it to resume --thread",
    )
    .requiredOption("--handbook <file>", "Skill Handbook JSON")
    .requiredOption("--pool <file>", "pool file (JSON or YAML)")
    .addOption(
      new Option("--lambda <x>", "price of accuracy λ >= 0")
        .argParser(number("--lambda", (x) => Number.isFinite(x) && x >= 0, "a number >= 0"))
        .conflicts("budget"),
    )
    .addOption(
      new Option("--budget <usd>", "cost budget of the task in USD").argParser(
        number("--budget", (x) => Number.isFinite(x) && x > 0, "a number > 0"),
      ),
    )
    .option(
      "--max-steps <n>",
      "steps before the one forced answer",
      number("--max-steps", (x) => Number.isInteger(x) && x >= 0, "a whole number >= 0"),
    )
    .option("--corpus <file>", "search corpus (JSONL of {id, title, text}); sim pools bring their own")
    .option(
      "--store <where>",
      "with --handbook store:NAME[@vN]: the handbook store (postgres://…, a LangGraph server's http(s)://…, or a store file; default .skillorchestra/handbooks.json)",
    )
    .option(
      "--orchestrator-model <id>",
      "pool agent (openai provider) to use as the orchestrator model; default the offline policy",
    )
    .option(
      "--task-id <id>",
      "id of the task (for a sim pool, an id such as sim7-test-0 runs that task of their world with the text given)",
    )
    .option("--stream", "print decisions and steps as they happen")
    .option("--json", "print the final state as JSON")
    .option("--thread <id>", "thread id: resumes that thread when it exists and did not finish")
    .option("--db <file>", `SQLite file of the threads' checkpoints (default: ${DEFAULT_THREADS_DB})`)
    .option(
      "--checkpoint <url>",
      `PostgreSQL database of the threads' checkpoints (postgres://user:password@host:5432/db); default ${POSTGRES_ENV.join(" or ")} when set, else the SQLite --db`,
    )
    .option("--ask", "pause for approval before a step whose expected cost would exceed --budget")
    .option("--approve", "answer a paused thread (--thread): run the step as decided")
    .option("--redirect <agent>", "answer a paused thread (--thread): run the step with this agent instead")
    .option("--stop", "answer a paused thread (--thread): stop the run")
    .option(
      "--deadline <duration>",
      "time limit of the run (90s, 1500ms, 5m; a bare number is seconds); default 10m",
      parseDuration,
    )
    .addOption(
      new Option(
        "--explore-rate <p>",
        "share of agent choices made on a Thompson sample, so new agents earn evidence (default 0)",
      ).argParser(number("--explore-rate", (x) => x >= 0 && x <= 1, "a number in [0, 1]")),
    )
    .option("--records <target>", "append the run's step records to this JSONL file, or to store:NAME (see feedback)")
    .action((task: string | undefined, o: RunFlags) => run(task, o));
}
