/**
 * The `openai` provider: agents behind any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp server, OpenRouter…), through `ChatOpenAI` from @langchain/openai.
 *
 * Knobs that matter across servers:
 * - `configuration.baseURL`: pool `openai.baseURL`, else OPENAI_BASE_URL, else OpenAI. Ollama serves
 *   http://host:11434/v1, vLLM and llama.cpp http://host:8000/v1 (or :8080), OpenRouter https://openrouter.ai/api/v1.
 * - The key comes from the environment variable named by `openai.apiKeyEnv` (never from the pool file). Local servers
 *   accept any non-empty key.
 * - OpenRouter ranks apps by the optional `HTTP-Referer` and `X-Title` headers: pass them as `headers`.
 * - Usage: servers report `usage` on non-streamed replies; on streamed ones only when asked with
 *   `stream_options: {include_usage: true}`, which ChatOpenAI sends (streamUsage defaults to true). vLLM and
 *   llama.cpp honour it; a server that ignores it leaves usage unknown and cost is estimated (chars / 4 per token).
 * - Structured output defaults to tool calling with a forced tool_choice, which vLLM (with a tool parser), Ollama,
 *   llama.cpp (--jinja) and OpenRouter support; `method: "jsonSchema"` sends `response_format: json_schema` instead.
 * - Model ids containing "codex" or "gpt-5.x-pro" make ChatOpenAI use the Responses API, which only OpenAI serves.
 * - Retries are ours (runtime.ts), and the only layer: ChatOpenAI gets maxRetries 0 and the graph's nodes have no
 *   retry policy, so a call makes at most `maxRetries + 1` HTTP attempts (default 3). Backoff: the pool's agent fields,
 *   else SKILLORCHESTRA_BACKOFF_BASE_MS / SKILLORCHESTRA_BACKOFF_MAX_MS / SKILLORCHESTRA_RETRY_AFTER_MAX_MS, else
 *   500 ms / 20 s / 60 s.
 * - Deadlines: each attempt has `timeoutMs` (default 60 s) for the whole response, a streamed body included; a
 *   caller's `deadlineAt` (the run's deadline) shortens the attempt and stops retries that could not start before it.
 *
 * Streaming: `stream: true` streams each call and aggregates the chunks. Without it, a call made inside a LangGraph
 * node still streams tokens to `streamMode: "messages"`: LangGraph's messages handler asks for streaming
 * (`lc_prefer_streaming`), and @langchain/core then drives ChatOpenAI's streaming path under `invoke` (checked in
 * @langchain/core 1.4 `BaseChatModel._generateUncached`; tested in openai.graph.int.test.ts).
 */
import { ChatOpenAI } from "@langchain/openai";
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  type BaseMessageLike,
  HumanMessage,
  SystemMessage,
} from "@langchain/core/messages";
import type { InvalidToolCall, ToolCall } from "@langchain/core/messages/tool";
import type { Runnable } from "@langchain/core/runnables";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import type { LimitFunction } from "p-limit";
import type { z } from "zod";
import { InputError, jsonPath } from "../core/errors.js";
import { costOf, type AgentSpec } from "../pool/schema.js";
import { buildStepPrompt, DEFAULT_PROMPT_LIMITS, extractStepOutput, type PromptLimits } from "./prompts.js";
import {
  AgentCallError,
  classifyCallError,
  createLimiter,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  StructuredOutputError,
  withRetry,
  type RetryOptions,
} from "./runtime.js";
import { tokensForChars } from "../core/tokens.js";
import type { Usage } from "../core/types.js";
import type { Agent, StepRequest, StepResult } from "./types.js";

/** Time one attempt may take, response body included, when the pool's `timeoutMs` does not say. */
export const DEFAULT_TIMEOUT_MS = 60_000;
export { DEFAULT_MAX_RETRIES };
/** Environment variables that set the backoff of every openai agent (milliseconds). */
export const BACKOFF_ENV = {
  baseDelayMs: "SKILLORCHESTRA_BACKOFF_BASE_MS",
  maxDelayMs: "SKILLORCHESTRA_BACKOFF_MAX_MS",
  maxRetryAfterMs: "SKILLORCHESTRA_RETRY_AFTER_MAX_MS",
} as const;
export const DEFAULT_API_KEY_ENV = "OPENAI_API_KEY";
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";
/** A tool in OpenAI's function format. */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface ChatClientOptions {
  /** The limiter of the agent this client speaks for; default: a new one of `spec.concurrency` (default 4). */
  limiter?: LimitFunction;
  /** Backoff settings (they win over BACKOFF_ENV); maxRetries comes from `spec.maxRetries` (default 2: 3 attempts). */
  retry?: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs" | "onRetry" | "random">;
  /** Stream every call unless a call says otherwise; default false. */
  stream?: boolean;
  /** Extra HTTP headers on every request (e.g. OpenRouter's HTTP-Referer, X-Title). */
  headers?: Record<string, string>;
}

export interface ChatOptions<T> {
  /** Ask for output matching this schema; parsed into `structured`, or a StructuredOutputError. */
  schema?: z.ZodType<T>;
  /** Name of the structured output (the forced tool's name); default "respond". */
  schemaName?: string;
  schemaDescription?: string;
  /** How structured output is requested; default "functionCalling". */
  method?: "functionCalling" | "jsonSchema";
  /** Tools the model may call (not together with `schema`). */
  tools?: ToolDefinition[];
  toolChoice?: "auto" | "required" | "none" | (string & {});
  stream?: boolean;
  signal?: AbortSignal;
  /** Epoch ms the call must end by (the run's deadline): attempts are cut at it and no retry starts past it. */
  deadlineAt?: number;
}

export interface ChatResult<T = unknown> {
  message: AIMessage;
  /** The text content of the reply. */
  text: string;
  structured?: T;
  toolCalls?: ToolCall[];
  usage: Usage;
  costUsd: number;
  /** True when the server reported no usage and tokens were estimated from text length. */
  costEstimated: boolean;
  /** Duration of the attempt that succeeded (not queueing or backoff). */
  latencyMs: number;
  attempts: number;
  provider: "openai";
}

export interface ChatClient {
  readonly spec: AgentSpec;
  readonly model: ChatOpenAI;
  chat<T = unknown>(messages: BaseMessageLike[], options?: ChatOptions<T>): Promise<ChatResult<T>>;
}

type Env = Record<string, string | undefined>;

/** The endpoint and key an agent uses, or an InputError naming the missing variable. */
export function resolveEndpoint(
  spec: AgentSpec,
  env: Env = process.env,
): { baseURL: string; apiKey: string; apiKeyEnv: string } {
  const apiKeyEnv = spec.openai?.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const apiKey = env[apiKeyEnv];
  if (!apiKey)
    throw new InputError(
      `agent ${spec.id}: environment variable ${apiKeyEnv} is not set (the API key of this openai agent; name another with openai.apiKeyEnv)`,
    );
  const baseURL = spec.openai?.baseURL ?? (env.OPENAI_BASE_URL || undefined) ?? OPENAI_DEFAULT_BASE_URL;
  return { baseURL, apiKey, apiKeyEnv };
}

/** Backoff from BACKOFF_ENV, or an InputError naming the variable that is not a number of milliseconds >= 0. */
export function backoffFromEnv(
  env: Env = process.env,
): Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs"> {
  const out: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs"> = {};
  for (const [key, name] of Object.entries(BACKOFF_ENV) as [keyof typeof BACKOFF_ENV, string][]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    const ms = Number(raw);
    if (!Number.isFinite(ms) || ms < 0)
      throw new InputError(`${name} must be a number of milliseconds >= 0, got "${raw}"`);
    out[key] = ms;
  }
  return out;
}

/** The backoff an agent retries with: the client's options, else the environment, else the defaults. */
export function backoffOf(
  env: Env = process.env,
  options: ChatClientOptions["retry"] = {},
): Required<Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">> {
  const fromEnv = backoffFromEnv(env);
  return {
    baseDelayMs: options.baseDelayMs ?? fromEnv.baseDelayMs ?? DEFAULT_BACKOFF_BASE_MS,
    maxDelayMs: options.maxDelayMs ?? fromEnv.maxDelayMs ?? DEFAULT_BACKOFF_MAX_MS,
    maxRetryAfterMs: options.maxRetryAfterMs ?? fromEnv.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
  };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((part) =>
        typeof part === "string" ? part : part && typeof part === "object" && "text" in part ? String(part.text) : "",
      )
      .join("");
  return "";
}

function promptChars(messages: BaseMessageLike[]): number {
  let n = 0;
  for (const m of messages) {
    if (typeof m === "string") n += m.length;
    else if (Array.isArray(m)) n += String(m[1] ?? "").length;
    else if (m && typeof m === "object" && "content" in m) n += textOf((m as { content: unknown }).content).length;
  }
  return n;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Usage the server reported, if it did: usage_metadata, else the raw `usage` or `tokenUsage` in response_metadata. */
export function reportedUsage(message: AIMessage | AIMessageChunk): Usage | undefined {
  const um = message.usage_metadata;
  const meta = (message.response_metadata ?? {}) as {
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
    tokenUsage?: { promptTokens?: unknown; completionTokens?: unknown };
  };
  const candidates: [unknown, unknown][] = [
    [um?.input_tokens, um?.output_tokens],
    [meta.usage?.prompt_tokens, meta.usage?.completion_tokens],
    [meta.tokenUsage?.promptTokens, meta.tokenUsage?.completionTokens],
  ];
  for (const [p, c] of candidates) {
    const promptTokens = num(p);
    const completionTokens = num(c);
    if (promptTokens !== undefined && completionTokens !== undefined) return { promptTokens, completionTokens };
  }
  // Some servers report prompt tokens only when nothing was generated (ChatOpenAI drops zero counts).
  const onlyPrompt = num(meta.usage?.prompt_tokens) ?? num(um?.input_tokens);
  if (onlyPrompt !== undefined && (meta.usage?.completion_tokens === 0 || um?.output_tokens === 0))
    return { promptTokens: onlyPrompt, completionTokens: 0 };
  return undefined;
}

/** The first JSON value in a reply: a fenced ```json block, the whole text, or the outermost {...}. */
function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(text);
  const tries = [fenced?.[1], text];
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) tries.push(text.slice(first, last + 1));
  for (const t of tries) {
    if (t === undefined || t.trim() === "") continue;
    try {
      return { ok: true, value: JSON.parse(t) };
    } catch {
      /* try the next */
    }
  }
  return { ok: false };
}

/**
 * The aggregated stream as an AIMessage. Tool calls are re-parsed strictly from the raw streamed arguments:
 * AIMessageChunk parses them with a partial-JSON parser that silently completes truncated JSON.
 */
function toAIMessage(chunk: AIMessageChunk): AIMessage {
  const toolCalls: ToolCall[] = [];
  const invalidToolCalls: InvalidToolCall[] = [];
  const rawCalls = chunk.tool_call_chunks ?? [];
  if (rawCalls.length > 0) {
    for (const raw of rawCalls) {
      const args = raw.args ?? "";
      try {
        const parsed: unknown = args.trim() === "" ? {} : JSON.parse(args);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
          throw new Error("arguments are not a JSON object");
        toolCalls.push({
          type: "tool_call",
          name: raw.name ?? "",
          args: parsed as Record<string, unknown>,
          ...(raw.id ? { id: raw.id } : {}),
        });
      } catch (err) {
        invalidToolCalls.push({ type: "invalid_tool_call", name: raw.name, args, id: raw.id, error: String(err) });
      }
    }
  } else {
    toolCalls.push(...(chunk.tool_calls ?? []));
    invalidToolCalls.push(...(chunk.invalid_tool_calls ?? []));
  }
  return new AIMessage({
    content: chunk.content,
    ...(chunk.id !== undefined ? { id: chunk.id } : {}),
    tool_calls: toolCalls,
    invalid_tool_calls: invalidToolCalls,
    ...(chunk.usage_metadata ? { usage_metadata: chunk.usage_metadata } : {}),
    response_metadata: chunk.response_metadata,
    additional_kwargs: chunk.additional_kwargs,
  });
}

/** A client for one agent's endpoint: retries, timeout, concurrency limit, usage and cost on every call. */
export function createChatClient(spec: AgentSpec, env: Env = process.env, options: ChatClientOptions = {}): ChatClient {
  const { baseURL, apiKey } = resolveEndpoint(spec, env);
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = spec.maxRetries ?? DEFAULT_MAX_RETRIES;
  const backoff = backoffOf(env, options.retry);
  const limiter = options.limiter ?? createLimiter(spec.concurrency ?? DEFAULT_CONCURRENCY);
  const model = new ChatOpenAI({
    model: spec.model,
    apiKey,
    configuration: { baseURL, ...(options.headers ? { defaultHeaders: options.headers } : {}) },
    timeout: timeoutMs,
    maxRetries: 0,
    ...(spec.openai?.temperature !== undefined ? { temperature: spec.openai.temperature } : {}),
    ...(spec.openai?.maxTokens !== undefined ? { maxTokens: spec.openai.maxTokens } : {}),
  });
  const agent = spec.id;

  async function attemptOnce(
    runnable: Runnable<BaseMessageLike[], AIMessageChunk>,
    messages: BaseMessageLike[],
    stream: boolean,
    signal: AbortSignal | undefined,
    deadlineAt: number | undefined,
  ): Promise<{ message: AIMessage; latencyMs: number }> {
    // Our own deadline covers the whole attempt, a streamed body included (the SDK's timeout stops at the headers);
    // the caller's deadline shortens it.
    const left = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - Date.now();
    if (left <= 0)
      throw new AgentCallError({
        agent,
        kind: "timeout",
        attempts: 1,
        retryable: false,
        deadline: true,
        detail: "the run's deadline was reached",
      });
    const cutByCaller = left < timeoutMs;
    const limitMs = cutByCaller ? left : timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), limitMs);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const started = performance.now();
    try {
      let message: AIMessage;
      if (stream) {
        let aggregate: AIMessageChunk | undefined;
        for await (const chunk of await runnable.stream(messages, { signal: combined }))
          aggregate = aggregate ? aggregate.concat(chunk) : chunk;
        combined.throwIfAborted();
        if (!aggregate)
          throw new AgentCallError({ agent, kind: "protocol", attempts: 1, retryable: false, detail: "empty stream" });
        message = toAIMessage(aggregate);
      } else {
        message = (await runnable.invoke(messages, { signal: combined })) as AIMessage;
      }
      return { message, latencyMs: performance.now() - started };
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      const classified = classifyCallError(agent, err);
      // Our deadline and the SDK's timeout (same length) race; report either the same way.
      if (deadline.signal.aborted && cutByCaller)
        throw new AgentCallError({
          agent,
          kind: "timeout",
          attempts: 1,
          retryable: false,
          deadline: true,
          detail: "the run's deadline was reached",
          cause: err,
        });
      if (deadline.signal.aborted || classified?.kind === "timeout")
        throw new AgentCallError({
          agent,
          kind: "timeout",
          attempts: 1,
          retryable: true,
          detail: `no complete response within ${timeoutMs} ms`,
          cause: err,
        });
      throw classified ?? err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function chat<T = unknown>(messages: BaseMessageLike[], opts: ChatOptions<T> = {}): Promise<ChatResult<T>> {
    if (opts.schema && opts.tools) throw new Error(`agent ${agent}: chat() takes a schema or tools, not both`);
    const method = opts.method ?? "functionCalling";
    const schemaName = opts.schemaName ?? "respond";
    let runnable: Runnable<BaseMessageLike[], AIMessageChunk> = model as unknown as Runnable<
      BaseMessageLike[],
      AIMessageChunk
    >;
    let requestChars = 0;
    if (opts.schema) {
      const parameters = toJsonSchema(opts.schema as never) as Record<string, unknown>;
      requestChars += JSON.stringify(parameters).length;
      if (method === "functionCalling") {
        const tool: ToolDefinition = {
          type: "function",
          function: {
            name: schemaName,
            ...(opts.schemaDescription ? { description: opts.schemaDescription } : {}),
            parameters,
          },
        };
        runnable = model.bindTools([tool], { tool_choice: schemaName }) as unknown as typeof runnable;
      } else {
        runnable = model.withConfig({
          response_format: {
            type: "json_schema",
            json_schema: {
              name: schemaName,
              ...(opts.schemaDescription ? { description: opts.schemaDescription } : {}),
              schema: parameters,
              strict: false,
            },
          },
        }) as unknown as typeof runnable;
      }
    } else if (opts.tools) {
      requestChars += JSON.stringify(opts.tools).length;
      runnable = model.bindTools(
        opts.tools,
        opts.toolChoice ? { tool_choice: opts.toolChoice } : {},
      ) as unknown as typeof runnable;
    }
    const stream = opts.stream ?? options.stream ?? false;

    let attempts = 0;
    let outcome: { message: AIMessage; latencyMs: number };
    try {
      outcome = await withRetry(
        (attempt) => {
          attempts = attempt;
          return limiter(() => attemptOnce(runnable, messages, stream, opts.signal, opts.deadlineAt));
        },
        {
          ...options.retry,
          ...backoff,
          maxRetries,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.deadlineAt !== undefined ? { deadlineAt: opts.deadlineAt } : {}),
        },
      );
    } catch (err) {
      if (err instanceof AgentCallError) throw err.withAttempts(attempts);
      throw err;
    }

    const { message, latencyMs } = outcome;
    const text = textOf(message.content);
    const reported = reportedUsage(message);
    const toolCalls = message.tool_calls ?? [];
    const invalid = message.invalid_tool_calls ?? [];
    const usage: Usage = reported ?? {
      promptTokens: tokensForChars(promptChars(messages) + requestChars),
      completionTokens: tokensForChars(
        text.length +
          toolCalls.reduce((n, t) => n + JSON.stringify(t.args).length, 0) +
          invalid.reduce((n, t) => n + (t.args?.length ?? 0), 0),
      ),
    };
    const costUsd = costOf(spec.price, usage.promptTokens, usage.completionTokens);
    const costEstimated = reported === undefined;
    const base = { message, text, usage, costUsd, costEstimated, latencyMs, attempts, provider: "openai" as const };
    const fail = (detail: string, raw: string) =>
      new StructuredOutputError(agent, detail, raw, { usage, costUsd, costEstimated });

    if (opts.schema) {
      let candidate: unknown;
      let raw = text;
      const call = toolCalls.find((t) => t.name === schemaName) ?? toolCalls[0];
      const bad = invalid[0];
      if (method === "functionCalling" && call) {
        candidate = call.args;
        raw = JSON.stringify(call.args);
      } else if (method === "functionCalling" && bad) {
        throw fail(`tool call ${bad.name ?? "(unnamed)"} has arguments that are not valid JSON`, bad.args ?? "");
      } else {
        // jsonSchema, or a model that ignored the forced tool and answered in text.
        const parsed = parseJsonText(text);
        if (!parsed.ok)
          throw fail(
            method === "functionCalling" ? "no tool call and no JSON in the reply" : "reply is not valid JSON",
            text,
          );
        candidate = parsed.value;
      }
      const result = opts.schema.safeParse(candidate);
      if (!result.success) {
        const issue = result.error.issues[0]!;
        throw fail(`output does not match the schema: ${jsonPath(issue.path)}: ${issue.message}`, raw);
      }
      return { ...base, structured: result.data, toolCalls };
    }
    if (opts.tools) {
      const bad = invalid[0];
      if (bad) throw fail(`tool call ${bad.name ?? "(unnamed)"} has arguments that are not valid JSON`, bad.args ?? "");
      return { ...base, toolCalls };
    }
    return base;
  }

  return { spec, model, chat };
}

export interface OpenAIAgentOptions extends ChatClientOptions {
  /** Caps on what of the request goes into the prompt. */
  promptLimits?: Partial<PromptLimits>;
}

/** An agent of the pool served by an OpenAI-compatible endpoint. */
export function createOpenAIAgent(spec: AgentSpec, env: Env = process.env, options: OpenAIAgentOptions = {}): Agent {
  if (spec.provider !== "openai") throw new Error(`agent ${spec.id}: provider is ${spec.provider}, not openai`);
  const client = createChatClient(spec, env, options);
  const limits: PromptLimits = { ...DEFAULT_PROMPT_LIMITS, ...options.promptLimits };
  return {
    spec,
    async act(
      request: StepRequest,
      actOptions: { signal?: AbortSignal; deadlineAt?: number } = {},
    ): Promise<StepResult> {
      if (!spec.modes.includes(request.mode))
        throw new Error(`agent ${spec.id} does not serve mode ${request.mode} (it serves ${spec.modes.join(", ")})`);
      const prompt = buildStepPrompt(request, limits);
      const messages: BaseMessage[] = [new SystemMessage(prompt.system), new HumanMessage(prompt.user)];
      const result = await client.chat(messages, {
        ...(actOptions.signal ? { signal: actOptions.signal } : {}),
        ...(actOptions.deadlineAt !== undefined ? { deadlineAt: actOptions.deadlineAt } : {}),
      });
      const extracted = extractStepOutput(request.mode, result.text);
      if (extracted.output === "")
        throw new StructuredOutputError(spec.id, `empty ${request.mode} output`, result.text, {
          usage: result.usage,
          costUsd: result.costUsd,
          costEstimated: result.costEstimated,
        });
      return {
        agent: spec.id,
        mode: request.mode,
        output: extracted.output,
        ...(extracted.language ? { language: extracted.language } : {}),
        usage: result.usage,
        costUsd: result.costUsd,
        costEstimated: result.costEstimated,
        latencyMs: result.latencyMs,
        provider: "openai",
        simulated: false,
      };
    },
  };
}
