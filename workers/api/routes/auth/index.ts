import { createGroup } from '../../lib/group';
import { registerLogin } from './login';
import { registerLogout } from './logout';
import { registerGetMe } from './me-get';
import { registerUpdateMe } from './me-update';
import { registerMfaChallenge } from './mfa-challenge';
import { registerMfaDisable } from './mfa-disable';
import { registerMfaSetup } from './mfa-setup';
import { registerMfaVerify } from './mfa-verify';
import { registerPasswordChange } from './password-change';
import { registerPasswordReset } from './password-reset';
import { registerPasswordResetConfirm } from './password-reset-confirm';
import { registerRefresh } from './refresh';
import { registerRegister } from './register';
import { registerRevokeSession } from './session-revoke';
import { registerListSessions } from './sessions-list';

/** Registration, login, tokens, password, profile, sessions and MFA. */
const app = createGroup();
registerRegister(app);
registerLogin(app);
registerRefresh(app);
registerLogout(app);
registerPasswordReset(app);
registerPasswordResetConfirm(app);
registerPasswordChange(app);
registerGetMe(app);
registerUpdateMe(app);
registerListSessions(app);
registerRevokeSession(app);
registerMfaSetup(app);
registerMfaVerify(app);
registerMfaDisable(app);
registerMfaChallenge(app);

export default app;
