import type { Agent } from "../../src/providers/types.js";

/** Receives a one-line warning about how an orchestrator is set up (it still runs). */
export type OnWarning = (message: string) => void;

const printed = new Set<string>();

/** The default warning sink: each distinct warning once per process, on stderr. */
export const printWarning: OnWarning = (message) => {
  if (printed.has(message)) return;
  printed.add(message);
  process.stderr.write(`warning: ${message}\n`);
};

/**
 * The warning for an orchestrator with no search backend whose agents serve search (search mode is then off, so
 * those agents are never chosen for it), naming them and `remedy` (what to pass); undefined when none serves search.
 */
export function searchOffWarning(agents: Iterable<Agent>, remedy: string): string | undefined {
  const ids: string[] = [];
  for (const a of agents) if (a.spec.modes.includes("search")) ids.push(a.spec.id);
  if (!ids.length) return undefined;
  return `search mode is off for ${ids.length === 1 ? "agent" : "agents"} ${ids.join(", ")}: no search backend; ${remedy}`;
}
