import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentPresentation } from '../documents/present';
import { PresentationSchema } from '../documents/schemas';
import { generate } from '../documents/shared';
import { GeneratePresentationSchema } from './schemas';

export const generatePresentationRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'post',
    path: '/presentations/generate',
    operationId: 'generatePresentation',
    tags: ['Presentations'],
    summary: 'Generate a PPTX slide deck from a prompt, a template or a document model',
    description:
      'The deck has a title slide, then one content slide per section: its heading as the slide title, bullets, ' +
      'optional tables and images, and speaker notes (`speaker_notes`, default true). From a `prompt` the AI writes ' +
      '`slide_count` content slides (default 8, at most 50); a model `template_id` fills its variables from ' +
      '`input_data`; `content` is rendered as given. Answers 202 with the presentation (`pending`) and its `job_id`.',
    request: { body: jsonBody(GeneratePresentationSchema) },
    responses: {
      202: jsonResponse(PresentationSchema, 'The presentation, pending, with its job_id'),
      ...errorResponses([402, 404, 413]),
    },
  },
);

export const registerGeneratePresentation = (app: GroupApp) =>
  app.openapi(generatePresentationRoute, async (c) => {
    const document = await generate(c, { kind: 'presentation', format: 'pptx', ...c.req.valid('json') });
    return ok(c, presentPresentation(document), 202);
  });
