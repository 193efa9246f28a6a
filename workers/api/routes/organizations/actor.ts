import type { MemberActor } from '@flowspark/identity';
import type { AppContext } from '../../lib/context';

/** The caller as the membership rules see it. */
export const memberActor = (c: AppContext): MemberActor => {
  const auth = c.get('auth');
  return { kind: auth.kind, userId: auth.userId, role: auth.role, scopes: auth.scopes };
};
