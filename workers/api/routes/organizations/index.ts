import { createGroup } from '../../lib/group';
import { registerAcceptInvitation } from './accept-invitation';
import { registerCreateInvitation } from './create-invitation';
import { registerGetCurrentOrganization } from './get-current';
import { registerListInvitations } from './list-invitations';
import { registerListMembers } from './list-members';
import { registerRemoveMember } from './remove-member';
import { registerRevokeInvitation } from './revoke-invitation';
import { registerAddSsoDomain } from './sso-domain-add';
import { registerRemoveSsoDomain } from './sso-domain-remove';
import { registerVerifySsoDomain } from './sso-domain-verify';
import { registerGetSsoSettings } from './sso-get';
import { registerUpdateSsoSettings } from './sso-update';
import { registerUpdateCurrentOrganization } from './update-current';
import { registerUpdateMember } from './update-member';

/** The current organization, its members, its SSO settings, and invitations (both /organizations and /invitations). */
const app = createGroup();
registerGetCurrentOrganization(app);
registerUpdateCurrentOrganization(app);
registerListMembers(app);
registerUpdateMember(app);
registerRemoveMember(app);
registerCreateInvitation(app);
registerListInvitations(app);
registerRevokeInvitation(app);
registerAcceptInvitation(app);
registerGetSsoSettings(app);
registerUpdateSsoSettings(app);
registerAddSsoDomain(app);
registerVerifySsoDomain(app);
registerRemoveSsoDomain(app);

export default app;
