// @flowspark/agents: agent runs (seed 000 AgentState) — the intent step and its keyword fallback, the
// graph of steps, the validation rules, the run rows and how the API shows them. The durable runner
// lives in the jobs Worker (workers/jobs/agent-runner.ts) and supplies the graph's ports.
export * from './checks';
export * from './failures';
export * from './graph';
export * from './intent';
export * from './present';
export * from './runs';
export * from './state';
