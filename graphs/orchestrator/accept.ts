/** Phrases that mark an answer as evasive: the agent did not commit to an answer. */
const EVASIVE = [
  /^\s*(i\s+(do\s+not|don't|cannot|can't)\s+know)\b/i,
  /^\s*(unknown|not sure|no idea|n\/a|none)\s*[.!]?\s*$/i,
  /\b(i\s+(am|'m)\s+(not\s+able|unable)\s+to\s+(answer|determine|find))\b/i,
  /\b(cannot|can't|could not|couldn't)\s+(be\s+)?(determined?|answer(ed)?|find|found|tell|say)\b/i,
  /\b(not enough|insufficient)\s+(information|context|evidence)\b/i,
];

/** Why an answer is rejected (empty or evasive), or null when it is accepted. */
export function rejectionOf(answer: string): string | null {
  const t = answer.trim();
  if (t === "") return "empty answer";
  if (EVASIVE.some((re) => re.test(t))) return "evasive answer";
  return null;
}
