import type { AppConfig } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import type { Mailer } from './mailer';

/**
 * Stops access tokens before they expire. Backed by the tenant's gate Durable Object in the Worker;
 * the identity services only know this port.
 */
export interface RevocationPort {
  revokeSessions(orgId: string, sessionIds: string[]): Promise<void>;
  /** Access tokens of the user in that tenant issued until now must be refreshed (role changed). */
  invalidateUserTokens(orgId: string, userId: string): Promise<void>;
  /** These API keys stop working at once, wherever they were verified and cached. */
  revokeApiKeys(orgId: string, apiKeyIds: string[]): Promise<void>;
  /**
   * Closes at once the live connections (job feed, later chat) that these credentials opened in the
   * tenant: sessions, every credential of a user, or API keys.
   */
  closeConnections(orgId: string, who: ConnectionOwners): Promise<void>;
}

export interface ConnectionOwners {
  sessionIds?: string[];
  userIds?: string[];
  apiKeyIds?: string[];
}

export interface IdentitySecrets {
  JWT_PRIVATE_KEY?: string;
  JWT_PUBLIC_KEYS?: string;
  ENCRYPTION_KEY: string;
}

/** Everything an identity service needs, passed explicitly by the caller. */
export interface IdentityContext {
  db: Database;
  config: AppConfig;
  secrets: IdentitySecrets;
  revocations: RevocationPort;
  mailer: Mailer;
  /** Runs work after the response (audit, last-used times); never needed for correctness. */
  defer: (promise: Promise<unknown>) => void;
}

/** Caller details recorded on sessions and login attempts. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}
