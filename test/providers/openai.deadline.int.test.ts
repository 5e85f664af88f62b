/**
 * The provider's bounds over loopback HTTP: the default number of attempts, backoff from the environment, and a
 * caller's deadline cutting an attempt and stopping retries (an AgentCallError whose `deadline` is true).
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { AgentSpecSchema, type AgentSpec } from "../../src/pool/schema.js";
import {
  BACKOFF_ENV,
  backoffFromEnv,
  backoffOf,
  createChatClient,
  DEFAULT_MAX_RETRIES,
} from "../../src/providers/openai.js";
import { AgentCallError, withRetry } from "../../src/providers/runtime.js";
import { errorStorm } from "../../bench/support/openai-server.js";
import { serverPerTest } from "../support/server-per-test.js";

const KEY_ENV = "SKILLORCHESTRA_DEADLINE_TEST_KEY";
const env = { [KEY_ENV]: "k" };

const serve = serverPerTest();
function specFor(url: string, over: Partial<AgentSpec> = {}): AgentSpec {
  return AgentSpecSchema.parse({
    id: "mini",
    modes: ["answer"],
    provider: "openai",
    model: "test-model",
    price: { inputPer1M: 1, outputPer1M: 1 },
    openai: { baseURL: url, apiKeyEnv: KEY_ENV },
    ...over,
  });
}

describe("attempts and backoff", () => {
  it("a pool agent without maxRetries makes DEFAULT_MAX_RETRIES + 1 = 3 attempts", async () => {
    expect(DEFAULT_MAX_RETRIES).toBe(2);
    const s = await serve(() => ({ kind: "error", status: 502 }));
    const err = await createChatClient(specFor(s.url), {
      ...env,
      [BACKOFF_ENV.baseDelayMs]: "1",
      [BACKOFF_ENV.maxDelayMs]: "2",
    })
      .chat([["user", "hi"]])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentCallError);
    expect((err as AgentCallError).attempts).toBe(3);
    expect((err as AgentCallError).message).toMatch(/^agent mini: HTTP 502 after 3 attempts/);
    expect(s.chatRequests()).toHaveLength(3);
  });

  it("backoff comes from the client's options, else the environment, else the defaults; bad values are refused", () => {
    expect(backoffOf({})).toEqual({ baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 });
    expect(backoffOf({ [BACKOFF_ENV.baseDelayMs]: "10", [BACKOFF_ENV.maxRetryAfterMs]: "100" })).toEqual({
      baseDelayMs: 10,
      maxDelayMs: 20_000,
      maxRetryAfterMs: 100,
    });
    expect(backoffOf({ [BACKOFF_ENV.baseDelayMs]: "10" }, { baseDelayMs: 3 }).baseDelayMs).toBe(3);
    expect(() => backoffFromEnv({ [BACKOFF_ENV.maxDelayMs]: "soon" })).toThrow(InputError);
    expect(() => backoffFromEnv({ [BACKOFF_ENV.maxDelayMs]: "-1" })).toThrow(
      /SKILLORCHESTRA_BACKOFF_MAX_MS must be a number of milliseconds >= 0, got "-1"/,
    );
  });

  it("withRetry does not take a wait that would end past its deadline", async () => {
    let calls = 0;
    const started = Date.now();
    const fail = new AgentCallError({
      agent: "a",
      kind: "http",
      status: 429,
      attempts: 1,
      retryable: true,
      retryAfterMs: 10_000,
    });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw fail;
        },
        { maxRetries: 5, deadlineAt: started + 5_000 },
      ),
    ).rejects.toBe(fail);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("a caller's deadline", () => {
  it("cuts a hanging attempt at the deadline, not at timeoutMs, and starts no retry: deadline is true", async () => {
    const s = await serve(() => ({ kind: "hang" }));
    const client = createChatClient(specFor(s.url, { timeoutMs: 60_000, maxRetries: 3 }), env);
    const started = performance.now();
    const err = await client.chat([["user", "hi"]], { deadlineAt: Date.now() + 600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentCallError);
    expect(err).toMatchObject({ kind: "timeout", attempts: 1, deadline: true, retryable: false });
    expect(s.chatRequests()).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it("a deadline already past makes no request", async () => {
    const s = await serve(() => ({ kind: "reply", content: "hi" }));
    const err = await createChatClient(specFor(s.url), env)
      .chat([["user", "hi"]], { deadlineAt: Date.now() - 1 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", deadline: true });
    expect(s.chatRequests()).toHaveLength(0);
  });

  it("an agent's own timeout is not a deadline failure, and is retried", async () => {
    const s = await serve(() => ({ kind: "hang" }));
    const err = await createChatClient(specFor(s.url, { timeoutMs: 200, maxRetries: 1 }), env, {
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    })
      .chat([["user", "hi"]], { deadlineAt: Date.now() + 60_000 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", attempts: 2, deadline: false });
    expect(s.chatRequests()).toHaveLength(2);
  });

  it("a 429 storm with a Retry-After longer than the time left fails after one attempt", async () => {
    const s = await serve(errorStorm(429, { "retry-after": "20" }));
    const err = await createChatClient(specFor(s.url), env)
      .chat([["user", "hi"]], { deadlineAt: Date.now() + 10_000 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "http", status: 429, attempts: 1, retryAfterMs: 20_000 });
    expect(s.chatRequests()).toHaveLength(1);
  });
});
