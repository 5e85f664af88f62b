import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { formatPassages } from "./format.js";
import type { Passage } from "./passage.js";

/** Something that retrieves passages for a query: a LocalSearch, or a backend of your own (a test double). */
export interface SearchBackend {
  search(query: string, k: number): Passage[] | Promise<Passage[]>;
}

export interface SearchToolOptions {
  /** Passages returned when the agent does not ask for a number (default 5). */
  k?: number;
  /** The most passages an agent may ask for (default 20). */
  maxK?: number;
  /** Cap on the tool's output, delimiters included (default 4000). */
  maxChars?: number;
  name?: string;
  description?: string;
}

/**
 * A LangChain tool over a search backend. Its output is the passages as capped, delimited untrusted text
 * (see formatPassages); a failed search is returned as an error line, not thrown, so the agent
 * sees why.
 */
export function searchTool(backend: SearchBackend, opts: SearchToolOptions = {}) {
  const defaultK = opts.k ?? 5;
  const maxK = opts.maxK ?? 20;
  const maxChars = opts.maxChars ?? 4000;
  const schema = z.object({
    query: z.string().min(1).describe("What to search for: a few specific keywords work best."),
    k: z.number().int().min(1).max(maxK).optional().describe(`How many passages to return (default ${defaultK}).`),
  });
  return tool(
    async ({ query, k }: z.infer<typeof schema>) => {
      try {
        const passages = await backend.search(query, k ?? defaultK);
        return formatPassages(passages, maxChars);
      } catch (err) {
        return `search failed: ${(err as Error).message}`;
      }
    },
    {
      name: opts.name ?? "search",
      description:
        opts.description ?? "Search the document collection; returns the most relevant passages with their ids.",
      schema,
    },
  );
}
