// `npm run seed`: creates a demo organization, owner, API key and a public chat bot trained on a short
// guide through the running local API (start it first with `npm run dev`), with the SDK, and prints
// them with the widget demo page.
import { createClient, JobFailedError, unwrap, waitForJob } from '@flowspark/sdk';

const base = process.env.API_URL ?? 'http://localhost:8787';

try {
  await fetch(`${base}/health`);
} catch {
  console.error(`The API is not answering at ${base}. Start it with: npm run dev`);
  process.exit(1);
}

const suffix = Math.random().toString(36).slice(2, 8);
const email = `demo-${suffix}@example.com`;
const password = `demo-password-${suffix}`;
const signedIn = await unwrap(
  createClient({ baseUrl: base }).api.POST('/api/v1/auth/register', {
    body: { email, password, name: 'Demo Owner', organization_name: `Demo Organization ${suffix}` },
  }),
);
const client = createClient({
  baseUrl: base,
  accessToken: signedIn.tokens.access_token,
  refreshToken: signedIn.tokens.refresh_token,
});
const key = await unwrap(client.api.POST('/api/v1/api-keys', { body: { name: 'Demo key', scopes: ['*'] } }));
const bot = await unwrap(
  client.api.POST('/api/v1/bots', {
    body: {
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
  }),
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
const trained = await unwrap(
  client.api.POST('/api/v1/bots/{id}/documents/text', {
    params: { path: { id: bot.id } },
    body: { title: 'FlowSpark Edge in short', text: GUIDE, format: 'markdown' },
  }),
);
// A failed indexing is reported below with the document's status.
if (trained.job_id) {
  await waitForJob(client, trained.job_id, { timeoutMs: 30_000 }).catch((err: unknown) => {
    if (!(err instanceof JobFailedError)) throw err;
  });
}
const { status } = await unwrap(
  client.api.GET('/api/v1/bots/{id}/documents/{document_id}', {
    params: { path: { id: bot.id, document_id: trained.document.id } },
  }),
);

console.log(`Demo organization: ${signedIn.organization.name} (${signedIn.organization.id})
Owner:            ${email}
Password:         ${password}
Access token:     ${client.token}
API key:          ${key.key}

Chat bot:         ${bot.name} (${bot.id}), public key ${bot.public_key}
Trained on:       "${trained.document.title}" (${status})

Try:  curl -H "Authorization: Bearer ${key.key}" ${base}/api/v1/auth/me
Docs: ${base}/docs
Widget demo page: ${base}/widget/demo?bot=${bot.public_key}`);
