/**
 * A small OpenAI-compatible chat-completions server on 127.0.0.1, driven by a script, for tests that must exercise
 * the real HTTP path of the `openai` provider without a real key or the internet.
 *
 * - POST /v1/chat/completions: plain replies, tool calls, streaming (SSE, with a final usage chunk when the request
 *   asks for `stream_options.include_usage`), and scripted failures.
 * - GET /v1/models: lists "test-model".
 * Every request is recorded (method, path, headers, parsed body, arrival time) so tests can assert on counts, contents
 * and spacing, and the server counts the most chat requests it ever had in flight at once.
 *
 * Fault modes: `error` (any status, e.g. 500, or 429 with a Retry-After header; `errorStorm` builds a script of
 * them), `malformed` (200 with a body that is not JSON), `reset` (the connection dropped before any byte, or with
 * `afterBytes` mid-body), `hang` (headers never sent), `drip` (200 and headers at once, then the body a few bytes
 * at a time, too slowly to finish within a client's timeout).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tokensForChars } from "../../src/core/tokens.js";

export interface ScriptedToolCall {
  name: string;
  /** Sent verbatim: pass invalid JSON to test how clients cope. */
  arguments: string;
  id?: string;
}

/** One scripted response. */
export type ScriptStep =
  | {
      kind: "reply";
      content?: string;
      toolCalls?: ScriptedToolCall[];
      /** Usage to report; `null` reports none; omitted: computed as ceil(chars / 4) of the request and the reply. */
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
      /** Wait this long before answering (to hold requests in flight). */
      delayMs?: number;
      /** Streaming only: the content deltas to send (default: the content split into words). */
      chunks?: string[];
      finishReason?: string;
    }
  | { kind: "error"; status: number; body?: string | object; headers?: Record<string, string> }
  /** Accept the request and never answer (until the client gives up or the server closes). */
  | { kind: "hang" }
  /** Answer 200 with a body that is not JSON. */
  | { kind: "malformed"; body?: string }
  /** Drop the connection: before any byte, or after sending headers and the first `afterBytes` bytes of a reply. */
  | { kind: "reset"; afterBytes?: number }
  /** Answer 200 with `content` (a plain, non-streamed completion), sending `bytesPerTick` bytes every `intervalMs`. */
  | { kind: "drip"; content?: string; intervalMs?: number; bytesPerTick?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: a request body of any shape, read freely by the tests' assertions
  body: any;
  /** When the request's body had arrived (performance.now() of this process). */
  at: number;
}

/** A script answering every chat request with `status` (e.g. 429 with `{"retry-after": "0.2"}`) for good. */
export function errorStorm(
  status: number,
  headers: Record<string, string> = {},
): (request: RecordedRequest, index: number) => ScriptStep {
  return () => ({
    kind: "error",
    status,
    headers,
    body: { error: { message: `scripted ${status} storm`, type: "server_error" } },
  });
}

/** A queue of steps, used in order, or a function of the request and its 0-based index among chat requests. */
export type Script = ScriptStep[] | ((request: RecordedRequest, index: number) => ScriptStep | Promise<ScriptStep>);

export interface OpenAIServer {
  /** Base URL ending in /v1, ready for `configuration.baseURL`. */
  url: string;
  requests: RecordedRequest[];
  /** Chat-completion requests only. */
  chatRequests(): RecordedRequest[];
  /** The most chat requests in flight at the same time so far. */
  maxInFlight(): number;
  close(): Promise<void>;
}

const CHAT_PATH = "/v1/chat/completions";

/** The prompt tokens the server reports for a request when its script gives no usage: ceil(chars / 4). */
export const reportedPromptTokens = (req: RecordedRequest): number => tokensForChars(contentOf(req.body).length);

function contentOf(body: RecordedRequest["body"]): string {
  if (!body || !Array.isArray(body.messages)) return "";
  return body.messages
    .map((m: { content?: unknown }) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "")))
    .join("\n");
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

/** A plain chat completion with `content`, as a server sends it (not streamed). */
function completionBody(req: RecordedRequest, content: string): object {
  const model = typeof req.body?.model === "string" ? req.body.model : "test-model";
  return {
    id: "chatcmpl-fixed",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: tokensForChars(contentOf(req.body).length),
      completion_tokens: tokensForChars(content.length),
      total_tokens: 0,
    },
  };
}

export async function startOpenAIServer(script: Script): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  const queue = Array.isArray(script) ? [...script] : null;
  const sockets = new Set<Socket>();
  let chatIndex = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let created = 1_700_000_000;

  const nextStep = async (req: RecordedRequest, index: number): Promise<ScriptStep> => {
    if (typeof script === "function") return script(req, index);
    const step = queue!.shift();
    return step ?? { kind: "error", status: 500, body: { error: { message: "openai-server: script exhausted" } } };
  };

  const reply = (res: ServerResponse, req: RecordedRequest, step: Extract<ScriptStep, { kind: "reply" }>): void => {
    const id = `chatcmpl-${++created}`;
    const model = typeof req.body?.model === "string" ? req.body.model : "test-model";
    const content = step.content ?? (step.toolCalls?.length ? null : "");
    const toolCalls = (step.toolCalls ?? []).map((t, i) => ({
      id: t.id ?? `call_${i + 1}`,
      type: "function" as const,
      function: { name: t.name, arguments: t.arguments },
    }));
    const completionText = (content ?? "") + toolCalls.map((t) => t.function.arguments).join("");
    const usage =
      step.usage === null
        ? undefined
        : (() => {
            const u = step.usage ?? {
              prompt_tokens: tokensForChars(contentOf(req.body).length),
              completion_tokens: tokensForChars(completionText.length),
            };
            return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
          })();
    const finishReason = step.finishReason ?? (toolCalls.length ? "tool_calls" : "stop");

    if (req.body?.stream === true) {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      const send = (chunk: object) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      const base = { id, object: "chat.completion.chunk", created, model };
      send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      const deltas = step.chunks ?? (content ? content.split(/(?<=\s)/) : []);
      for (const piece of deltas)
        send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
      toolCalls.forEach((t, i) => {
        const half = Math.ceil(t.function.arguments.length / 2);
        send({
          ...base,
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: i,
                    id: t.id,
                    type: "function",
                    function: { name: t.function.name, arguments: t.function.arguments.slice(0, half) },
                  },
                ],
              },
              finish_reason: null,
            },
          ],
        });
        send({
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: i, function: { arguments: t.function.arguments.slice(half) } }] },
              finish_reason: null,
            },
          ],
        });
      });
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
      if (usage && req.body?.stream_options?.include_usage === true) send({ ...base, choices: [], usage });
      res.write("data: [DONE]\n\n");
      res.end();
      return;
    }

    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
          finish_reason: finishReason,
        },
      ],
      ...(usage ? { usage } : {}),
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        let body: RecordedRequest["body"] = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          /* keep the raw text */
        }
        const path = (req.url ?? "/").split("?")[0]!;
        const recorded: RecordedRequest = {
          method: req.method ?? "GET",
          path,
          headers: req.headers,
          body,
          at: performance.now(),
        };
        requests.push(recorded);

        if (req.method === "GET" && path === "/v1/models") {
          const ids = new Set<string>(["test-model"]);
          sendJson(res, 200, {
            object: "list",
            data: [...ids].map((id) => ({ id, object: "model", created, owned_by: "test" })),
          });
          return;
        }
        if (req.method !== "POST" || path !== CHAT_PATH) {
          sendJson(res, 404, {
            error: { message: `openai-server: no route ${req.method} ${path}`, type: "not_found" },
          });
          return;
        }

        const index = chatIndex++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        let settled = false;
        const done = () => {
          if (!settled) {
            settled = true;
            inFlight--;
          }
        };
        res.on("close", done);
        try {
          const step = await nextStep(recorded, index);
          if (step.kind === "reply" && step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
          if (res.destroyed) return;
          switch (step.kind) {
            case "reply":
              reply(res, recorded, step);
              break;
            case "error":
              sendJson(res, step.status, step.body ?? { error: { message: `scripted ${step.status}` } }, step.headers);
              break;
            case "hang":
              break;
            case "malformed":
              res.writeHead(200, { "content-type": "application/json" });
              res.end(step.body ?? '{"id": "chatcmpl-broken", "choices": [');
              break;
            case "reset":
              if (step.afterBytes === undefined) {
                req.socket.destroy();
                break;
              }
              {
                const full = JSON.stringify(completionBody(recorded, "never delivered"));
                res.writeHead(200, {
                  "content-type": "application/json",
                  "content-length": String(Buffer.byteLength(full)),
                });
                res.write(full.slice(0, step.afterBytes), () => req.socket.destroy());
              }
              break;
            case "drip": {
              const full = Buffer.from(
                JSON.stringify(completionBody(recorded, step.content ?? "Final answer: dripped")),
              );
              res.writeHead(200, { "content-type": "application/json", "content-length": String(full.length) });
              const per = step.bytesPerTick ?? 1;
              let sent = 0;
              const tick = setInterval(() => {
                if (res.destroyed || sent >= full.length) {
                  clearInterval(tick);
                  if (!res.destroyed) res.end();
                  return;
                }
                res.write(full.subarray(sent, sent + per));
                sent += per;
              }, step.intervalMs ?? 200);
              res.on("close", () => clearInterval(tick));
              break;
            }
          }
        } catch (err) {
          sendJson(res, 500, { error: { message: `openai-server: script threw: ${String(err)}` } });
        }
      })();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.method === "POST" && r.path === CHAT_PATH),
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
