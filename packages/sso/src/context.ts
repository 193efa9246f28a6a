import type { FetchPort } from '@flowspark/auth';
import type { IdentityContext } from '@flowspark/identity';
import type { SsoConfig } from './config';

/** The identity services' context plus the SSO configuration and the port every provider request takes. */
export interface SsoContext extends IdentityContext {
  sso: SsoConfig;
  fetch: FetchPort;
}
