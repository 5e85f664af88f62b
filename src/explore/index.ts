export { explore, explorePairs } from "./explore.js";
export { simRunner, referenceEvidence, worldIndex, type SimRunnerOptions } from "./sim-runner.js";
export { replayRunner, answerRunner, defaultRunner, type AnswerRunnerOptions } from "./runners.js";
export { loadTasks, simExploreTasks, ExploreTaskSchema } from "./tasks.js";
export { simSeedOf } from "./seed.js";
export { exploreProgressLine, formatCost, lineSink, barSink, progressSink, type ProgressSink } from "./progress.js";
export type { ExploreOptions, ExploreSummary, ExploreTask, ExploreProgress, ExploreFailure, Runner } from "./types.js";
export { exploreTrajectories, planExploration, planOf, type TrajectoryRunner } from "./trajectories.js";
export { referenceAgents, plannedTrajectories, type Assignment } from "./assignments.js";
