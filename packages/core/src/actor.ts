import type { Plan } from './config';
import type { Role, Scope } from './scopes';

/**
 * Who is acting: a person through an access token, or an API key acting for its creator. The one
 * caller type for routes and services; a service asks only for the fields it reads
 * (`Pick<Actor, 'orgId' | 'userId'>`), so job handlers can act for the user who queued the work.
 */
export interface Actor {
  kind: 'user' | 'api_key';
  /** The organization (tenant) every query of the request is scoped to. */
  orgId: string;
  userId: string;
  role: Role;
  plan: Plan;
  sessionId: string | null;
  apiKeyId: string | null;
  /** An API key's own per-minute limit, when it has one; carried into feed tickets it issues. */
  apiKeyRateLimitPerMinute: number | null;
  scopes: ReadonlySet<Scope>;
}
