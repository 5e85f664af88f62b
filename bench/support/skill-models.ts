/**
 * Scripted models that differ by skill, for the loopback OpenAI-compatible server (openai-server.ts): each reply
 * follows from the prompt deterministically, so a test can say in advance which agent should win in which mode.
 *
 * The world they know: a corpus of facts, one per passage, "The <relation> of <Entity> is <value>.", and two kinds of
 * task: fact questions ("What is the <relation> of <Entity>?", answered from the corpus) and arithmetic ("Compute
 * <expression>.", answered by running a program). The prompts are the openai provider's (src/providers/prompts.ts):
 * the system prompt names the step's mode; the user prompt holds the task, the retrieved documents and the programs
 * run so far.
 *
 * Skills, per model:
 * - `scout`: writes good search queries (the question's entity and relation), poor code (prints 0), answers "unknown";
 * - `coder`: writes good code (prints the task's expression), poor search queries ("information"), answers from a
 *   program's output only;
 * - `reader`: answers well from evidence (the fact in a retrieved document, else the last program output), poor
 *   search ("facts") and no usable program;
 * - `guesser`: poor at everything: searches the first word, prints 1, answers "42".
 * Any other model name answers like `guesser`. Usage is reported as the server computes it (ceil(chars / 4)).
 */
import type { RecordedRequest, Script, ScriptStep } from "./openai-server.js";

export type SkillModel = "scout" | "coder" | "reader" | "guesser";

/** A fact of the corpus: "The <relation> of <entity> is <value>." */
export interface Fact {
  entity: string;
  relation: string;
  value: string;
}

export const factText = (f: Fact) => `The ${f.relation} of ${f.entity} is ${f.value}.`;
export const factQuestion = (f: Fact) => `What is the ${f.relation} of ${f.entity}?`;

const QUESTION = /What is the ([a-z ]+?) of ([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)\?/;
const EXPRESSION = /Compute ([0-9+\-*() ]+)\./;

interface Prompt {
  mode: "search" | "code" | "answer";
  task: string;
  documents: string[];
  stdout: string[];
}

function parsePrompt(req: RecordedRequest): Prompt {
  const messages: { role: string; content: string }[] = req.body?.messages ?? [];
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const user = messages.find((m) => m.role === "user")?.content ?? "";
  const mode = /search step/.test(system) ? "search" : /code step/.test(system) ? "code" : "answer";
  const task = /Task:\n([^\n]*)/.exec(user)?.[1] ?? "";
  const documents = [...user.matchAll(/<document [^>]*>\n([\s\S]*?)\n<\/document>/g)].map((m) => m[1]!);
  const stdout = [...user.matchAll(/stdout:\n([^\n]*)/g)].map((m) => m[1]!.trim());
  return { mode, task, documents, stdout };
}

function factFromEvidence(p: Prompt): string | undefined {
  const q = QUESTION.exec(p.task);
  if (!q) return undefined;
  const [, relation, entity] = q;
  for (const d of p.documents) {
    const m = new RegExp(`The ${relation} of ${entity} is ([^.]+)\\.`).exec(d);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

function goodQuery(task: string): string {
  const q = QUESTION.exec(task);
  return q ? `${q[2]} ${q[1]}` : task.split(/\s+/).slice(0, 4).join(" ");
}

function goodProgram(task: string): string {
  const e = EXPRESSION.exec(task);
  return e ? `print(${e[1]!.trim()})` : 'print("n/a")';
}

/** The reply of `model` to a request, as text. */
export function skillReply(model: string, req: RecordedRequest): string {
  const p = parsePrompt(req);
  const fence = (src: string) => `\`\`\`python\n${src}\n\`\`\``;
  switch (model as SkillModel) {
    case "scout":
      if (p.mode === "search") return goodQuery(p.task);
      if (p.mode === "code") return fence("print(0)");
      return "unknown";
    case "coder":
      if (p.mode === "search") return "information";
      if (p.mode === "code") return fence(goodProgram(p.task));
      return p.stdout.at(-1) ?? "unknown";
    case "reader":
      if (p.mode === "search") return "facts";
      if (p.mode === "code") return "I would rather not write code.";
      return factFromEvidence(p) ?? p.stdout.at(-1) ?? "unknown";
    default:
      if (p.mode === "search") return p.task.split(/\s+/)[0] ?? "query";
      if (p.mode === "code") return fence("print(1)");
      return "42";
  }
}

/** A server script answering each request as its model would (usage computed by the server). */
export function skillScript(options: { delayMs?: number } = {}): Script {
  return (req: RecordedRequest): ScriptStep => ({
    kind: "reply",
    content: skillReply(String(req.body?.model ?? ""), req),
    ...(options.delayMs ? { delayMs: options.delayMs } : {}),
  });
}
