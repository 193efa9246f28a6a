/** Checks shared by generating and updating a document: prompt size, template fit, input data. */
import { payloadTooLarge, validationError } from '@flowspark/core';
import { checkTemplateInput } from '@flowspark/docgen';
import { type DocumentFormat, MAX_PROMPT_CHARS } from './document-types';
import type { TemplateRecord } from './templates';

export const assertPromptSize = (prompt: string | undefined) => {
  if (prompt !== undefined && prompt.length > MAX_PROMPT_CHARS) {
    throw payloadTooLarge(`The prompt has ${prompt.length} characters; at most ${MAX_PROMPT_CHARS}`, {
      limit: MAX_PROMPT_CHARS,
      actual: prompt.length,
      field: 'prompt',
    });
  }
};

const KIND_LABEL: Record<TemplateRecord['kind'], string> = {
  model: 'model',
  docx_file: 'DOCX file',
  pdf_form: 'PDF form',
};

/** File templates make exactly their file's format; model templates render to any format. */
export const assertTemplateFits = (template: TemplateRecord, format: DocumentFormat, prompt: string | undefined) => {
  const fixed = template.kind === 'docx_file' ? 'docx' : template.kind === 'pdf_form' ? 'pdf' : null;
  if (fixed && fixed !== format) {
    throw validationError('The template cannot make this format', {
      format: [`A ${KIND_LABEL[template.kind]} template makes ${fixed} files; ${format} was asked for`],
    });
  }
  if (fixed && prompt !== undefined) {
    throw validationError('The template takes no prompt', {
      prompt: [`A ${KIND_LABEL[template.kind]} template is filled from input_data only; leave out the prompt`],
    });
  }
};

/** input_data checked against the template's variables (or, without one, only for size and shape). */
export const checkInput = (template: TemplateRecord | null, input: Record<string, unknown>) =>
  checkTemplateInput(template?.variables ?? [], input);
