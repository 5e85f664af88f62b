import { z } from "zod";

/** The kinds of work a step can be: retrieve documents, run a program, or give the final answer. */
export const MODES = ["search", "code", "answer"] as const;
export const ModeSchema = z.enum(MODES);
export type Mode = z.infer<typeof ModeSchema>;

/** The modes that run a tool (every mode but the answer). */
export type ToolMode = Exclude<Mode, "answer">;
export const TOOL_MODES: readonly ToolMode[] = MODES.filter((m): m is ToolMode => m !== "answer");
export const ToolModeSchema = ModeSchema.exclude(["answer"]);
