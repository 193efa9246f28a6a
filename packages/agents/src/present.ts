import type { AgentRunResult } from './checks';
import type { AgentRoute } from './intent';
import type { AgentRunRow } from './runs';

/** How the route was chosen, as the API shows it: `request` when the caller named it. */
export type RoutedByView = 'model' | 'keywords' | 'request' | null;

export interface AgentRunView {
  id: string;
  request: string;
  status: AgentRunRow['status'];
  route: AgentRoute | null;
  routed_by: RoutedByView;
  current_step: string | null;
  completed_steps: string[];
  errors: string[];
  retry_count: number;
  result: AgentRunResult | null;
  error_code: string | null;
  error_message: string | null;
  cache_bypass: boolean;
  tokens_used: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** A run as the API shows it (never its organization). */
export const presentAgentRun = (row: AgentRunRow): AgentRunView => ({
  id: row.id,
  request: row.request,
  status: row.status,
  route: row.route,
  // A route stored with no router is the one the request named.
  routed_by: row.routedBy ?? (row.route ? 'request' : null),
  current_step: row.currentStep,
  completed_steps: row.completedSteps,
  errors: row.errors,
  retry_count: row.retryCount,
  result: (row.result as AgentRunResult | null) ?? null,
  error_code: row.errorCode,
  error_message: row.errorMessage,
  cache_bypass: row.cacheBypass,
  tokens_used: row.tokensUsed,
  created_by: row.createdBy,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  finished_at: row.finishedAt,
});
