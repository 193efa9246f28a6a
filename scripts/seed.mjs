// `npm run seed`: creates a demo organization, owner, API key and a public chat bot trained on a short
// guide through the running local API (start it first with `npm run dev`) and prints them with the
// widget demo page.
import { apiCall, apiPost } from './local-setup.mjs';

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
      agent_type: 'rag',
      visibility: 'public',
      allowed_origins: [new URL(base).origin],
      welcome_message: 'Hello! Ask me anything.',
      suggested_messages: ['What can the API generate?', 'How do I embed the chat widget?'],
      theme: { title: 'FlowSpark demo' },
    },
  },
  signedIn.tokens.access_token,
);

// The bot's training document, indexed by the local queue consumer.
const GUIDE = `# FlowSpark Edge in short

## Documents
The API generates DOCX, PDF, XLSX and PPTX documents from templates, and images, as background jobs whose progress
streams on the job feed.

## Knowledge base
Teams upload PDF, DOCX, HTML, Markdown, text and CSV files to the knowledge base and ask it questions; answers cite
the passages they come from.

## Chat widget
A bot is embedded in a website with one script tag that names its public key. Visitors chat live over a WebSocket,
and the conversation survives a reload.`;
const trained = await post(
  `/api/v1/bots/${bot.id}/documents/text`,
  { title: 'FlowSpark Edge in short', text: GUIDE, format: 'markdown' },
  signedIn.tokens.access_token,
);
const deadline = Date.now() + 30_000;
let status = trained.document.status;
while (status !== 'indexed' && status !== 'failed' && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  ({ status } = await apiCall(
    base,
    'GET',
    `/api/v1/bots/${bot.id}/documents/${trained.document.id}`,
    undefined,
    signedIn.tokens.access_token,
  ));
}

console.log(`Demo organization: ${signedIn.organization.name} (${signedIn.organization.id})
Owner:            ${email}
Password:         ${password}
Access token:     ${signedIn.tokens.access_token}
API key:          ${key.key}

Chat bot:         ${bot.name} (${bot.id}), public key ${bot.public_key}
Trained on:       "${trained.document.title}" (${status})

Try:  curl -H "Authorization: Bearer ${key.key}" ${base}/api/v1/auth/me
Docs: ${base}/docs
Widget demo page: ${base}/widget/demo?bot=${bot.public_key}`);
