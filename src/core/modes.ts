import { z } from "zod";

/** The kinds of work a step can be: retrieve documents, run a program, or give the final answer. */
export const MODES = ["search", "code", "answer"] as const;
export const ModeSchema = z.enum(MODES);
export type Mode = z.infer<typeof ModeSchema>;
