/** Extracting a program from a model's response, and scoring it by running unit tests in the sandbox (tools/code). */

export type CodeLanguage = "python" | "javascript";

const TAGS: Record<CodeLanguage, string[]> = {
  python: ["python", "py", "python3"],
  javascript: ["javascript", "js", "node", "mjs"],
};

/**
 * The program in a response: the last fenced block tagged with the language (or untagged), else the last fenced block
 * of any tag, else the whole response when it has no fences. Null when that is empty.
 */
export function extractProgram(response: string, language: CodeLanguage): string | null {
  const blocks = [...response.matchAll(/```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({
    tag: m[1]!.toLowerCase(),
    code: m[2]!,
  }));
  if (blocks.length === 0) return response.trim() === "" ? null : `${response.trim()}\n`;
  const fitting = blocks.filter((b) => b.tag === "" || TAGS[language].includes(b.tag));
  const chosen = (fitting.length > 0 ? fitting : blocks).at(-1)!;
  return chosen.code.trim() === "" ? null : chosen.code;
}
