import { afterEach } from "vitest";
import { startOpenAIServer, type OpenAIServer, type Script } from "../../bench/support/openai-server.js";

/** For a test file: `serve(script)` starts a loopback server, closed after each test. */
export function serverPerTest(): (script: Script) => Promise<OpenAIServer> {
  let server: OpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (script) => {
    server = await startOpenAIServer(script);
    return server;
  };
}
