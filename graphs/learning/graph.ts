import { END, START, StateGraph } from "@langchain/langgraph";
import { lineProgress } from "../../src/learning/progress.js";
import { LearningContext } from "./configuration.js";
import {
  discoverNode,
  profileNode,
  refineNode,
  reportNode,
  selectNode,
  splitNode,
  wiring,
  type NodeDeps,
} from "./nodes.js";
import { LearningInput, LearningState } from "./state.js";

/** The learning phases, in order (the graph's nodes besides the final report). */
export const PHASES = ["split", "discover", "profile", "refine", "select"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The learning graph, the one driver of the learning phases in sequence (the `learn` command and eval invoke it):
 * split → discover → profile (identify + profile) → refine → select → report. Every node writes its artefacts to
 * files named in the state (artefactPaths) and reads those of the nodes before it, from memory when they were
 * written in this process (NodeDeps.handoff), else from the files; so the state stays small plain JSON and a run
 * resumes from its checkpointer at the first unfinished phase. The phases run in a worker thread per run unless
 * deps say otherwise (NodeDeps.runIn), so the thread that invokes the graph stays free; each streams its progress as
 * `custom` events `{type: "progress", phase, done, total, etaMs}`, a few a second at most.
 */
export function buildLearningGraph(deps: Partial<NodeDeps> = {}) {
  const d = wiring({
    progress: deps.progress ?? lineProgress(process.stderr),
    ...(deps.env ? { env: deps.env } : {}),
    ...(deps.evaluateCandidate ? { evaluateCandidate: deps.evaluateCandidate } : {}),
    ...(deps.handoff ? { handoff: deps.handoff } : {}),
    ...(deps.runIn ? { runIn: deps.runIn } : {}),
  });
  return new StateGraph({ stateSchema: LearningState, input: LearningInput }, LearningContext)
    .addNode("split", splitNode(d))
    .addNode("discover", discoverNode(d))
    .addNode("profile", profileNode(d))
    .addNode("refine", refineNode(d))
    .addNode("select", selectNode(d))
    .addNode("report", reportNode(d))
    .addEdge(START, "split")
    .addEdge("split", "discover")
    .addEdge("discover", "profile")
    .addEdge("profile", "refine")
    .addEdge("refine", "select")
    .addEdge("select", "report")
    .addEdge("report", END);
}

/** The deployed graph (compiled without a checkpointer; the server brings its own). */
export const graph = buildLearningGraph().compile();
graph.name = "learning";
