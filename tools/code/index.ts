export {
  sandboxCapabilities,
  type SandboxCapabilities,
  type LayerProbe,
  type InterpreterProbe,
} from "./capabilities.js";
export { blockingLayers, LAYERS, requiredLayers, type IsolationLayer } from "./layers.js";
export {
  runProgram,
  SandboxUnavailableError,
  type Language,
  type RunLimit,
  type RunOptions,
  type RunResult,
} from "./run.js";
export { runWithTests, type TestRun } from "./tests.js";
export { toCodeResult } from "./result.js";
export { codeTool, formatRunForModel, TOOL_OUTPUT_CHARS } from "./tool.js";
