import type { schema } from '@flowspark/db';

/** API shapes of stored rows: snake_case, no secrets (hashes, encrypted secrets) ever leave here. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  mfa_enabled: boolean;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  plan: 'free' | 'pro' | 'enterprise';
  created_at: string;
  updated_at: string;
}

export const presentUser = (row: typeof schema.users.$inferSelect): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  mfa_enabled: row.mfaEnabled,
  last_login_at: row.lastLoginAt,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

export const presentOrganization = (row: typeof schema.organizations.$inferSelect): OrganizationView => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  plan: row.plan,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
