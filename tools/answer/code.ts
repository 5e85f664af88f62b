/** Extracting a program from a model's response, and scoring it by running unit tests in the sandbox (tools/code). */

export type CodeLanguage = "python" | "javascript";

const TAGS: Record<CodeLanguage, string[]> = {
  python: ["python", "py", "python3"],
  javascript: ["javascript", "js", "node", "mjs"],
};

/**
 * The program in a response: the last fenced block tagged with the language (or untagged), else the last fenced block
 * of any tag, else the whole response when it has no fences. Null when that is empty. A fence opened after the last
 * closed block and never closed (a generation cut off by its token limit) is a block too, running to the end, without
 * its fence line; a closed block is preferred to it when both fit the language.
 */
export function extractProgram(response: string, language: CodeLanguage): string | null {
  const re = /```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)```/g;
  const blocks: { tag: string; code: string }[] = [];
  let end = 0;
  for (let m = re.exec(response); m; m = re.exec(response)) {
    blocks.push({ tag: m[1]!.toLowerCase(), code: m[2]! });
    end = re.lastIndex;
  }
  const open = /```[ \t]*([\w+-]*)[^\n]*(?:\n([\s\S]*))?$/.exec(response.slice(end));
  const unclosed = open ? { tag: open[1]!.toLowerCase(), code: withNewline(open[2] ?? "") } : null;
  if (blocks.length === 0 && !unclosed) return response.trim() === "" ? null : `${response.trim()}\n`;
  const fits = (b: { tag: string }) => b.tag === "" || TAGS[language].includes(b.tag);
  const chosen =
    blocks.filter(fits).at(-1) ?? (unclosed && fits(unclosed) ? unclosed : null) ?? blocks.at(-1) ?? unclosed!;
  return chosen.code.trim() === "" ? null : chosen.code;
}

function withNewline(code: string): string {
  return code === "" || code.endsWith("\n") ? code : `${code}\n`;
}
