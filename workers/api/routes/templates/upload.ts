import { assertTemplateFileSize, createFileTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { templateInspector } from '../../lib/template-files';
import { presentTemplate } from './present';
import { TemplateSchema, UploadTemplateSchema } from './schemas';

export const uploadTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'post',
    path: '/templates/upload',
    operationId: 'uploadTemplate',
    tags: ['Templates'],
    summary: 'Create a template from an uploaded DOCX (placeholders) or fillable PDF (form fields)',
    description:
      'multipart/form-data with `file` (at most 10 MB), `name`, optional `description`, `variables` (a JSON ' +
      'array) and `is_public` ("true"/"false"). The kind is read from the content: a DOCX becomes a ' +
      '`docx_file` template (format docx), a PDF with form fields a `pdf_form` template (format pdf); ' +
      'anything else is 415. Without `variables`, they are derived: each DOCX `{{placeholder}}` a required ' +
      'string, each PDF field an optional string (boolean for checkboxes).',
    request: {
      body: { required: true, content: { 'multipart/form-data': { schema: UploadTemplateSchema } } },
    },
    responses: { 201: jsonResponse(TemplateSchema, 'The new template'), ...errorResponses([413, 415, 422]) },
  },
);

export const registerUploadTemplate = (app: GroupApp) =>
  app.openapi(uploadTemplateRoute, async (c) => {
    const form = c.req.valid('form');
    assertTemplateFileSize(form.file.size);
    const { db, actor, env } = routeContext(c);
    const template = await createFileTemplate(
      db,
      env.FILES,
      actor,
      {
        name: form.name,
        description: form.description,
        variables: form.variables,
        is_public: form.is_public,
        filename: form.file.name,
        bytes: new Uint8Array(await form.file.arrayBuffer()),
      },
      templateInspector(env),
    );
    return ok(c, presentTemplate(template, actor.orgId), 201);
  });
