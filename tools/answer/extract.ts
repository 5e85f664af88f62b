/** Final-answer extraction from a model's free-text response. */

/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`), braces matched (nested braces and escaped `\{ \}` are
 * handled); `\boxed 5` (no braces) gives the following token. Null when there is none or its braces never close.
 */
export function extractBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\b/g;
  let found: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let i = m.index + m[0].length;
    while (text[i] === " ") i++;
    if (text[i] !== "{") {
      const token = /^[^\s$]+/.exec(text.slice(i));
      if (token && i > m.index + m[0].length) found = token[0];
      continue;
    }
    const start = i + 1;
    let depth = 1;
    for (i = start; i < text.length && depth > 0; i++) {
      const c = text[i];
      if (c === "\\")
        i++; // skip the escaped character
      else if (c === "{") depth++;
      else if (c === "}") depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1).trim();
  }
  return found;
}

/** The content of the last `<answer>...</answer>` (tags in any case), or null. */
export function extractAnswerTag(text: string): string | null {
  const re = /<answer>([\s\S]*?)<\/answer>/gi;
  let found: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[1]!.trim();
  return found;
}

/**
 * What follows the last "the answer is", "final answer:" or "answer:" — to the end of its line or sentence, without
 * a trailing full stop or markdown bold. Null when there is no such phrase.
 */
export function extractAnswerPhrase(text: string): string | null {
  const re = /\b(?:final\s+answer|answer)\s*(?:is|:)\s*:?[ \t]*([^\n]*)/gi;
  let found: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let s = m[1]!;
    const end = /\.\s+(?=[A-Z])/.exec(s); // "5. Because ..." → "5"
    if (end) s = s.slice(0, end.index);
    s = s
      .trim()
      .replace(/^\*\*|\*\*$/g, "")
      .trim();
    s = s.replace(/\.$/, "").trim();
    if (s !== "") found = s;
  }
  return found;
}

/**
 * GSM8K's final-answer line, `#### 72`: what follows `####` on the last non-empty line. Only the last line counts, so
 * a markdown heading ("#### Step 1") earlier in a response is not taken for an answer. Null when there is none.
 */
export function extractHashAnswer(text: string): string | null {
  const lines = text.trimEnd().split("\n");
  const m = /^\s*####(?!#)[ \t]*(.*?)\s*$/.exec(lines.at(-1) ?? "");
  if (!m) return null;
  const s = m[1]!
    .replace(/\.$/, "")
    .replace(/^\*\*|\*\*$/g, "")
    .trim();
  return s === "" ? null : s;
}

/**
 * The model's final answer: the last `\boxed{}` if any, else the last `<answer>` tag, else a GSM8K `#### 72` last
 * line, else the last "the answer is ..." phrase; null when the response marks no final answer.
 */
export function extractFinalAnswer(text: string): string | null {
  return extractBoxed(text) ?? extractAnswerTag(text) ?? extractHashAnswer(text) ?? extractAnswerPhrase(text);
}
