/**
 * Roles grant scopes; API keys carry a subset of their creator's scopes. Routes ask for a scope,
 * so one check covers both people and keys.
 */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = [
  'profile:read',
  'profile:write',
  'org:read',
  'org:write',
  'members:read',
  'members:write',
  'api_keys:read',
  'api_keys:write',
  'jobs:read',
  'jobs:write',
  'documents:read',
  'documents:write',
  'templates:read',
  'templates:write',
  'images:read',
  'images:write',
  'kb:read',
  'kb:write',
  'bots:read',
  'bots:write',
  'chat:read',
  'chat:write',
  'billing:read',
  'billing:write',
  'analytics:read',
  'webhooks:read',
  'webhooks:write',
  'notifications:read',
  'notifications:write',
  'workflows:read',
  'workflows:write',
  'agents:read',
  'agents:write',
  'ai_cache:write',
  'integrations:read',
  'integrations:write',
] as const;
export type Scope = (typeof SCOPES)[number];

const READ: Scope[] = [
  'profile:read',
  'org:read',
  'members:read',
  'api_keys:read',
  'jobs:read',
  'documents:read',
  'templates:read',
  'images:read',
  'kb:read',
  'bots:read',
  'chat:read',
  'billing:read',
  'notifications:read',
  'workflows:read',
  'agents:read',
];
/** What members create and manage: generated content and their own keys. */
const CONTENT_WRITE: Scope[] = [
  'api_keys:write',
  'jobs:write',
  'documents:write',
  'templates:write',
  'images:write',
  'kb:write',
  'bots:write',
  'chat:write',
  'workflows:write',
  'agents:write',
];

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: [...READ, 'profile:write', 'notifications:write'],
  member: [...READ, 'profile:write', 'notifications:write', ...CONTENT_WRITE],
  admin: [
    ...READ,
    'profile:write',
    'notifications:write',
    ...CONTENT_WRITE,
    'org:write',
    'members:write',
    'billing:write',
    'analytics:read',
    'webhooks:read',
    'webhooks:write',
    'ai_cache:write',
    'integrations:read',
    'integrations:write',
  ],
  owner: SCOPES,
};

/** Roles ordered by power, for "may this actor act on that role" checks. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);
export const isScope = (value: unknown): value is Scope =>
  typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
