import { parse as parseUuid, v5 as uuidV5 } from "@langchain/core/utils/uuid";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { resolveSettings } from "../../graphs/orchestrator/configuration.js";
import { checkRunInput } from "../../graphs/orchestrator/input.js";
import type { RunOverrides } from "../../graphs/orchestrator/state.js";
import { InputError } from "../core/errors.js";

/**
 * The deployment's HTTP app (langgraph.json `http.app`): the LangGraph server mounts it before its own routes. It
 * checks the input and context of every run created for the orchestrator graph, so that a malformed task or setting
 * gets HTTP 422 with one line naming the field (`input: $.task: expected an object {"id": "...", "text": "..."}`)
 * before a run is queued, instead of a run that fails. Runs of other graphs, and resumes (`command`, no input), pass
 * through unchanged.
 */

/** The graph id of the orchestrator in langgraph.json. */
export const ORCHESTRATOR_GRAPH = "orchestrator";

// The LangGraph server names a graph's default assistant by a UUID v5 of the graph id in this namespace.
const GRAPH_NAMESPACE = parseUuid("6ba7b821-9dad-11d1-80b4-00c04fd430c8");
const ORCHESTRATOR_ASSISTANT = uuidV5(ORCHESTRATOR_GRAPH, GRAPH_NAMESPACE);

interface RunCreate {
  assistant_id?: unknown;
  input?: unknown;
  context?: unknown;
  config?: { configurable?: unknown } | null;
}

/** Whether a run is for the orchestrator graph: by graph id, its default assistant, or an assistant made from it. */
async function isOrchestrator(assistant: unknown, origin: string, headers: Headers): Promise<boolean> {
  if (assistant === ORCHESTRATOR_GRAPH || assistant === ORCHESTRATOR_ASSISTANT) return true;
  if (typeof assistant !== "string" || assistant === "") return false;
  // Another assistant (made with POST /assistants): its graph, from the server itself.
  const r = await fetch(`${origin}/assistants/${encodeURIComponent(assistant)}`, {
    headers: { ...(headers.get("authorization") ? { authorization: headers.get("authorization")! } : {}) },
  });
  if (!r.ok) return false;
  const a = (await r.json()) as { graph_id?: unknown };
  return a.graph_id === ORCHESTRATOR_GRAPH;
}

/** The one-line error of a run's input or context, or undefined when they are fine (pure). */
export function runCreateError(body: RunCreate): string | undefined {
  try {
    const input = body.input as { task?: unknown; settings?: unknown } | null | undefined;
    if (input !== undefined && input !== null) {
      if (typeof input !== "object" || Array.isArray(input))
        throw new InputError(`input: $: expected an object {"task": {"id": "...", "text": "..."}}`);
      checkRunInput(input);
    }
    const context = body.context ?? body.config?.configurable;
    if (context !== undefined && context !== null) {
      if (typeof context !== "object" || Array.isArray(context)) throw new InputError("context: expected an object");
      resolveSettings(context, (input?.settings ?? undefined) as RunOverrides | undefined);
    }
    return undefined;
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
}

const RUN_PATHS = ["/runs", "/runs/wait", "/runs/stream", "/threads/:thread_id/runs", "/threads/:thread_id/runs/*"];

export const app = new Hono();

for (const path of RUN_PATHS)
  app.post(path, async (c, next) => {
    // Only run creation: /threads/:id/runs/wait and /stream, not /runs/:id/cancel and the like.
    if (path.endsWith("*") && !/\/runs\/(wait|stream)$/.test(c.req.path)) return next();
    let body: RunCreate;
    try {
      body = (await c.req.json()) as RunCreate;
    } catch {
      return next(); // not JSON: the server's own validation answers
    }
    if (body === null || typeof body !== "object" || body.input === undefined) return next();
    if (!(await isOrchestrator(body.assistant_id, new URL(c.req.url).origin, c.req.raw.headers))) return next();
    const error = runCreateError(body);
    if (error) throw new HTTPException(422, { message: error });
    return next();
  });

app.post("/runs/batch", async (c, next) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return next();
  }
  if (!Array.isArray(body)) return next();
  const origin = new URL(c.req.url).origin;
  for (const [i, run] of (body as RunCreate[]).entries()) {
    if (!run || typeof run !== "object" || !(await isOrchestrator(run.assistant_id, origin, c.req.raw.headers)))
      continue;
    const error = runCreateError(run);
    if (error) throw new HTTPException(422, { message: `runs[${i}]: ${error}` });
  }
  return next();
});
