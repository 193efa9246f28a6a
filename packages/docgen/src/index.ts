// Only light modules are imported here: each renderer loads its library (pdf-lib, docx, pptxgenjs,
// jszip; the XLSX renderer needs none) with a dynamic import() when it runs, so importing this
// package costs nothing at Worker start-up.

export { fillDocxTemplate, listDocxPlaceholders } from './docx-template';
export * from './fonts';
export { type DecodedImage, decodeImage } from './image-data';
export * from './limits';
export * from './model';
export { fillPdfForm, listPdfFormFields, type PdfFormField } from './pdf-form';
export { renderDocx } from './render/docx';
export { render } from './render/index';
export { renderPdf } from './render/pdf';
export { type Line, PageCanvas, type Rgb, TextKit, textKitFor } from './render/pdf-text';
export { renderPptx } from './render/pptx';
export { renderXlsx } from './render/xlsx';
export {
  buildSampleDeck,
  buildSampleModel,
  buildSampleTable,
  SAMPLE_PNG_BASE64,
  type SampleOptions,
} from './sample';
export * from './variables';
