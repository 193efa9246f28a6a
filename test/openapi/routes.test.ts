import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

type Operation = {
  operationId: string;
  security?: unknown[];
  description?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
};
type Schema = { required?: string[]; additionalProperties?: boolean; properties?: Record<string, unknown> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const openapi = async () => expectOk(await call('GET', '/openapi.json')).body as Doc;

const BEARER = [{ bearerAuth: [] }];
const AUTHENTICATED = ['400', '401', '403', '429'];

/**
 * Every route group's contract, one row a route: path, method, operationId, whether it takes the
 * bearer scheme, and statuses it must document (beyond the shared error responses).
 */
const ROUTES: Array<[string, string, string, boolean, string[]]> = [
  ['/api/v1/auth/register', 'post', 'register', false, ['201']],
  ['/api/v1/auth/login', 'post', 'login', false, ['200', '400', '401', '403', '429']],
  ['/api/v1/auth/refresh', 'post', 'refreshTokens', false, ['200']],
  ['/api/v1/auth/logout', 'post', 'logout', true, ['204']],
  ['/api/v1/auth/password/reset', 'post', 'requestPasswordReset', false, ['202']],
  ['/api/v1/auth/password/reset/confirm', 'post', 'confirmPasswordReset', false, ['200']],
  ['/api/v1/auth/password/change', 'post', 'changePassword', true, ['200']],
  ['/api/v1/auth/email/change', 'post', 'requestEmailChange', true, ['202', '409']],
  ['/api/v1/auth/email/confirm', 'post', 'confirmEmailChange', false, ['200', '409']],
  ['/api/v1/auth/email/undo', 'post', 'undoEmailChange', false, ['200', '409']],
  ['/api/v1/auth/me', 'get', 'getMe', true, ['200']],
  ['/api/v1/auth/me', 'put', 'updateMe', true, ['200']],
  ['/api/v1/auth/sessions', 'get', 'listSessions', true, ['200']],
  ['/api/v1/auth/sessions/{id}', 'delete', 'revokeSession', true, ['204']],
  ['/api/v1/auth/mfa/totp/setup', 'post', 'setupTotp', true, ['200', '409']],
  ['/api/v1/dev/outbox', 'get', 'listDevOutbox', false, ['200']],
  ['/api/v1/jobs', 'get', 'listJobs', true, ['200']],
  ['/api/v1/jobs/{id}', 'get', 'getJob', true, ['200']],
  ['/api/v1/jobs/{id}/cancel', 'post', 'cancelJob', true, ['200']],
  ['/api/v1/jobs/{id}/events', 'get', 'streamJobEvents', true, ['200']],
  ['/api/v1/jobs/feed', 'get', 'openJobFeed', true, ['101', '426', ...AUTHENTICATED]],
  ['/api/v1/jobs/feed/ticket', 'post', 'createJobFeedTicket', true, ['201']],
  ['/api/v1/documents/generate', 'post', 'generateDocument', true, ['202', ...AUTHENTICATED]],
  ['/api/v1/documents', 'get', 'listDocuments', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/documents/{id}', 'get', 'getDocument', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/documents/{id}', 'put', 'updateDocument', true, ['200', '202', '404', '409', ...AUTHENTICATED]],
  ['/api/v1/documents/{id}', 'delete', 'deleteDocument', true, ['204', ...AUTHENTICATED]],
  ['/api/v1/documents/{id}/download', 'get', 'downloadDocument', true, ['200', '304', '404', '409']],
  ['/api/v1/documents/{id}/versions', 'get', 'listDocumentVersions', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/presentations/generate', 'post', 'generatePresentation', true, ['202', ...AUTHENTICATED]],
  ['/api/v1/presentations', 'get', 'listPresentations', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/presentations/{id}', 'get', 'getPresentation', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/presentations/{id}', 'delete', 'deletePresentation', true, ['204', ...AUTHENTICATED]],
  ['/api/v1/presentations/{id}/download', 'get', 'downloadPresentation', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/images/generate', 'post', 'generateImage', true, ['202', '400', '401', '403']],
  ['/api/v1/images', 'get', 'listImages', true, ['200', '400', '401']],
  ['/api/v1/images/{id}', 'get', 'getImage', true, ['200', '404']],
  ['/api/v1/images/{id}', 'delete', 'deleteImage', true, ['204', '404']],
  ['/api/v1/images/{id}/download', 'get', 'downloadImage', true, ['200', '304', '404', '409']],
  ['/api/v1/templates', 'get', 'listTemplates', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/templates', 'post', 'createTemplate', true, ['201', ...AUTHENTICATED]],
  ['/api/v1/templates/upload', 'post', 'uploadTemplate', true, ['201', ...AUTHENTICATED]],
  ['/api/v1/templates/{id}', 'get', 'getTemplate', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/templates/{id}', 'put', 'updateTemplate', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/templates/{id}', 'delete', 'deleteTemplate', true, ['204', ...AUTHENTICATED]],
  ['/api/v1/templates/{id}/copy', 'post', 'copyTemplate', true, ['201', ...AUTHENTICATED]],
  ['/api/v1/kb/documents/upload', 'post', 'uploadKbDocument', true, ['200', '202', '400', '401', '403', '413', '415']],
  ['/api/v1/kb/documents/text', 'post', 'createKbTextDocument', true, ['200', '202', '400', '413']],
  ['/api/v1/kb/documents', 'get', 'listKbDocuments', true, ['200', '400', '401']],
  ['/api/v1/kb/documents/{id}', 'get', 'getKbDocument', true, ['200', '404']],
  ['/api/v1/kb/documents/{id}', 'delete', 'deleteKbDocument', true, ['204', '404']],
  ['/api/v1/kb/documents/{id}/reindex', 'post', 'reindexKbDocument', true, ['202', '404', '409']],
  ['/api/v1/kb/search', 'get', 'searchKb', true, ['200', '400', '401', '403']],
  ['/api/v1/kb/query', 'post', 'queryKb', true, ['200', '400', '401', '403']],
  ['/api/v1/kb/queries', 'get', 'listKbQueries', true, ['200', '400', '401']],
  ['/api/v1/billing/tokens', 'get', 'getTokens', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/billing/plans', 'get', 'listPlans', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/billing/subscription', 'get', 'getSubscription', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/billing/checkout', 'post', 'createCheckout', true, ['200', '503', ...AUTHENTICATED]],
  ['/api/v1/billing/portal', 'post', 'createBillingPortal', true, ['200', '409', '503', ...AUTHENTICATED]],
  ['/api/v1/webhooks/stripe', 'post', 'receiveStripeWebhook', false, ['200', '400', '503']],
  ['/api/v1/webhooks', 'get', 'listWebhooks', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/webhooks', 'post', 'createWebhook', true, ['201', '409', ...AUTHENTICATED]],
  ['/api/v1/webhooks/{id}', 'get', 'getWebhook', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/webhooks/{id}', 'put', 'updateWebhook', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/webhooks/{id}', 'delete', 'deleteWebhook', true, ['204', '404', ...AUTHENTICATED]],
  ['/api/v1/webhooks/{id}/rotate-secret', 'post', 'rotateWebhookSecret', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/webhooks/{id}/deliveries', 'get', 'listWebhookDeliveries', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/notifications', 'get', 'listNotifications', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/notifications/{id}/read', 'post', 'readNotification', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/notifications/read-all', 'post', 'readAllNotifications', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/uploads', 'post', 'createUpload', true, ['201', '413', '415', '422', ...AUTHENTICATED]],
  ['/api/v1/uploads', 'get', 'listUploads', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/uploads/{id}', 'get', 'getUpload', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/uploads/{id}', 'delete', 'deleteUpload', true, ['204', '404', ...AUTHENTICATED]],
  ['/api/v1/customers', 'get', 'listCustomers', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/customers', 'post', 'createCustomer', true, ['201', '409', ...AUTHENTICATED]],
  ['/api/v1/customers/{id}', 'get', 'getCustomer', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/customers/{id}', 'put', 'updateCustomer', true, ['200', '404', '409', ...AUTHENTICATED]],
  ['/api/v1/customers/{id}', 'delete', 'deleteCustomer', true, ['204', '404', ...AUTHENTICATED]],
  ['/api/v1/customers/{id}/attributes', 'post', 'setCustomerAttribute', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/customers/{id}/attributes', 'get', 'listCustomerAttributes', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/analytics/usage', 'get', 'getUsage', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/analytics/summary', 'get', 'getUsageSummary', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/bots', 'get', 'listBots', true, ['200', ...AUTHENTICATED]],
  ['/api/v1/bots', 'post', 'createBot', true, ['201', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}', 'get', 'getBot', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}', 'put', 'updateBot', true, ['200', '404', '409', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}', 'delete', 'deleteBot', true, ['204', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}/rotate-key', 'post', 'rotateBotKey', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}/documents', 'get', 'listBotDocuments', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}/documents/upload', 'post', 'uploadBotDocument', true, ['200', '202', '403', '404', '413', '415']],
  ['/api/v1/bots/{id}/documents/text', 'post', 'createBotTextDocument', true, ['200', '202', '403', '404', '413']],
  ['/api/v1/bots/{id}/documents/{document_id}', 'get', 'getBotDocument', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}/documents/{document_id}', 'delete', 'deleteBotDocument', true, ['204', '403', '404']],
  [
    '/api/v1/bots/{id}/documents/{document_id}/reindex',
    'post',
    'reindexBotDocument',
    true,
    ['202', '403', '404', '409'],
  ],
  ['/api/v1/bots/{id}/conversations', 'get', 'listConversations', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/bots/{id}/conversations', 'post', 'createConversation', true, ['201', '404', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}', 'get', 'getConversation', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}', 'delete', 'deleteConversation', true, ['204', '404', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}/export', 'get', 'exportConversation', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}/messages', 'get', 'listMessages', true, ['200', '404', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}/messages', 'post', 'sendMessage', true, ['200', '201', '404', '503', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}/ws', 'get', 'openConversationSocket', true, ['101', '404', '426', ...AUTHENTICATED]],
  ['/api/v1/conversations/{id}/ws/ticket', 'post', 'createConversationSocketTicket', true, ['201', '404']],
];

/** Response media types a route must offer. */
const CONTENT: Array<[string, string, string, string[]]> = [
  [
    '/api/v1/documents/{id}/download',
    'get',
    '200',
    [
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
  ],
  ['/api/v1/images/{id}/download', 'get', '200', ['image/png', 'image/jpeg']],
  ['/api/v1/kb/query', 'post', '200', ['application/json', 'text/event-stream']],
  ['/api/v1/conversations/{id}/messages', 'post', '200', ['text/event-stream']],
  ['/api/v1/conversations/{id}/messages', 'post', '201', ['application/json']],
  ['/api/v1/conversations/{id}/export', 'get', '200', ['application/json', 'text/markdown']],
];

/** Named schemas the document must carry, and the exact fields of some of them. */
const SCHEMAS = [
  ...['AuthRegisterRequest', 'AuthLoginResult', 'AuthMfaRequired', 'AuthMe', 'AuthSession'],
  ...['AuthEmailChangeRequest', 'AuthPendingEmailChange', 'AuthEmailChanged', 'AuthEmailChangeUndone'],
  ...['Job', 'JobEvent', 'JobFeedTicket', 'JobStatus'],
  ...['GeneratedDocument', 'GeneratedDocumentStatus', 'GeneratedDocumentFormat', 'GenerateDocumentRequest'],
  ...['UpdateDocumentRequest', 'DocumentVersion', 'Presentation', 'GeneratePresentationRequest'],
  ...['Image', 'ImageWithJob', 'ImageStatus', 'GenerateImageRequest'],
  ...['KbDocument', 'KbDocumentAccepted', 'KbSearchHit', 'KbSearchResult', 'KbCitation', 'KbAnswer'],
  ...['KbQueryRecord', 'QueryKbRequest', 'CreateKbTextRequest', 'UploadKbDocumentRequest'],
  ...['Bot', 'BotConfiguration', 'BotConfigurationInput', 'CreateBotRequest', 'UpdateBotRequest'],
  ...['Conversation', 'CreateConversationRequest', 'ChatMessage', 'ChatExchange', 'SendMessageRequest'],
  'ChatSocketTicket',
  'ConversationExport',
  ...['ChatCitation', 'UploadBotDocumentRequest', 'CreateBotTextRequest'],
  ...[
    'Webhook',
    'WebhookWithSecret',
    'WebhookDelivery',
    'CreateWebhookRequest',
    'UpdateWebhookRequest',
    'Notification',
  ],
  ...['BillingPlan', 'BillingSubscription', 'BillingCheckoutRequest', 'BillingSessionUrl', 'StripeWebhookReceived'],
  ...['TokenWallet', 'TokenLedgerEntry', 'UsageReport', 'UsageBucket', 'UsageSummary', 'UsageTotals'],
];
const FIELDS: Array<[string, string[]]> = [
  ['GenerateDocumentRequest', ['title', 'description', 'format', 'prompt', 'template_id', 'input_data', 'content']],
  ['GenerateImageRequest', ['prompt', 'negative_prompt', 'width', 'height', 'seed']],
  ['KbCitation', ['document_id', 'title', 'chunk_id', 'page_number', 'snippet', 'score', 'source']],
  ['AuthEmailChangeRequest', ['email', 'password', 'code']],
  [
    'BotConfiguration',
    [
      ...['system_prompt', 'model', 'temperature', 'chat_history_length', 'agent_type', 'top_k', 'welcome_message'],
      ...['suggested_messages', 'allowed_origins', 'visibility', 'theme', 'visitor_message_limit'],
    ],
  ],
  ['ChatCitation', ['document_id', 'chunk_id', 'title', 'page_number', 'snippet', 'score']],
  ['UploadBotDocumentRequest', ['file', 'title']],
  ['CreateBotTextRequest', ['title', 'text', 'format']],
  [
    'ChatMessage',
    ['id', 'conversation_id', 'role', 'content', 'citations', 'usage', 'model', 'latency_ms', 'stopped', 'created_at'],
  ],
];

describe('each route group in the OpenAPI document', () => {
  it('documents every route with its operationId, security and statuses', async () => {
    const doc = await openapi();
    for (const [path, method, operationId, secured, statuses] of ROUTES) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual(secured ? BEARER : []);
      expect(Object.keys(operation!.responses), `${method} ${path}`).toEqual(expect.arrayContaining(statuses));
    }
  });

  it('offers the media types of downloads and streams', async () => {
    const doc = await openapi();
    for (const [path, method, status, types] of CONTENT) {
      expect(Object.keys(doc.paths[path]![method]!.responses[status]!.content ?? {}), `${method} ${path}`).toEqual(
        types,
      );
    }
    expect(doc.paths['/api/v1/jobs/feed']!.get!.description).toContain('flowspark.ticket.');
    expect(doc.paths['/api/v1/conversations/{id}/ws']!.get!.description).toContain('flowspark.chat-ticket.');
  });

  it('carries the named schemas, with exact fields where clients rely on them', async () => {
    const { schemas } = (await openapi()).components;
    for (const name of SCHEMAS) expect(schemas, name).toHaveProperty(name);
    for (const [name, fields] of FIELDS) {
      expect(Object.keys(schemas[name]!.properties ?? {}).sort(), name).toEqual([...fields].sort());
    }
    expect(schemas.GenerateDocumentRequest!.required).toEqual(['title', 'format']);
    expect(schemas.GenerateDocumentRequest!.additionalProperties).toBe(false);
    expect(schemas.BotConfigurationInput!.additionalProperties).toBe(false);
    expect(schemas.BotConfigurationInput!.required ?? []).toEqual([]);
    expect(schemas.CreateBotRequest!.required).toEqual(['name']);
  });
});
