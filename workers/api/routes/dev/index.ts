import { createGroup } from '../../lib/group';
import { registerLocalOidcAuthorize } from './oidc-authorize';
import { registerLocalOidcMetadata } from './oidc-metadata';
import { registerLocalOidcToken } from './oidc-token';
import { registerOutbox } from './outbox';

/**
 * Local-only helpers; every route here refuses itself (404) when `devRoutes` is off, and the built-in
 * OIDC issuer (`/dev/oidc/…`) also unless SSO_LOCAL_ISSUER is on.
 */
const app = createGroup();
registerOutbox(app);
registerLocalOidcMetadata(app);
registerLocalOidcAuthorize(app);
registerLocalOidcToken(app);

export default app;
