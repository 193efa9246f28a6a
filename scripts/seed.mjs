// `npm run seed`: creates a demo organization, owner, API key and a public chat bot through the
// running local API (start it first with `npm run dev`) and prints them with the widget demo page.
import { apiPost } from './local-setup.mjs';

const base = process.env.API_URL ?? 'http://localhost:8787';

const post = (path, body, token) => apiPost(base, path, body, token);

try {
  await fetch(`${base}/health`);
} catch {
  console.error(`The API is not answering at ${base}. Start it with: npm run dev`);
  process.exit(1);
}

const suffix = Math.random().toString(36).slice(2, 8);
const email = `demo-${suffix}@example.com`;
const password = `demo-password-${suffix}`;
const signedIn = await post('/api/v1/auth/register', {
  email,
  password,
  name: 'Demo Owner',
  organization_name: `Demo Organization ${suffix}`,
});
const key = await post('/api/v1/api-keys', { name: 'Demo key', scopes: ['*'] }, signedIn.tokens.access_token);
const bot = await post(
  '/api/v1/bots',
  {
    name: 'Demo bot',
    configuration: {
      agent_type: 'plain',
      visibility: 'public',
      allowed_origins: [new URL(base).origin],
      welcome_message: 'Hello! Ask me anything.',
      suggested_messages: ['What can you do?'],
      theme: { title: 'FlowSpark demo' },
    },
  },
  signedIn.tokens.access_token,
);

console.log(`Demo organization: ${signedIn.organization.name} (${signedIn.organization.id})
Owner:            ${email}
Password:         ${password}
Access token:     ${signedIn.tokens.access_token}
API key:          ${key.key}

Chat bot:         ${bot.name} (${bot.id}), public key ${bot.public_key}

Try:  curl -H "Authorization: Bearer ${key.key}" ${base}/api/v1/auth/me
Docs: ${base}/docs
Widget demo page: ${base}/widget/demo?bot=${bot.public_key}`);
