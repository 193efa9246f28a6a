/**
 * The seam for single sign-on. Providers (Google, Microsoft, generic OIDC) plug in here later; login
 * routes depend only on this interface, so adding one does not touch them.
 */

/** The identity a provider vouches for after a successful code exchange. */
export interface OidcIdentity {
  /** The provider's stable user id (`sub`); emails can change, this cannot. */
  subject: string;
  email: string;
  /** Only a verified email may be linked to an existing account. */
  emailVerified: boolean;
  name?: string;
}

export interface OidcProvider {
  readonly id: string;
  /**
   * Where to send the browser. `state` ties the callback to this login attempt (CSRF); `nonce` comes
   * back inside the ID token, which stops an ID token from one login being replayed into another.
   */
  authorizationUrl(state: string, nonce: string, redirectUri: string): string | Promise<string>;
  /** Exchanges the callback `code` and returns the identity only after validating the ID token. */
  exchangeCode(code: string, redirectUri: string): Promise<OidcIdentity>;
}

/** Configured providers by id, e.g. from env at startup. */
export type OidcProviderRegistry = ReadonlyMap<string, OidcProvider>;
