// A Worker that renders one bench case inside workerd, for bench/workerd-render/run.mjs, which reads
// the workerd process's peak memory around the render. Not part of the API.
import { buildBooklet } from '@flowspark/booklet/generate';
import { type DocumentModel, memoryFontSource, render } from '@flowspark/docgen';
import notoEmoji from '../../node_modules/@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf';
import notoRegular from '../../node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf';
import notoBold from '../../node_modules/@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf';
import notoArabic from '../../node_modules/@expo-google-fonts/noto-sans-arabic/400Regular/NotoSansArabic_400Regular.ttf';
import notoDevanagari from '../../node_modules/@expo-google-fonts/noto-sans-devanagari/400Regular/NotoSansDevanagari_400Regular.ttf';
import notoKr from '../../node_modules/@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf';
import notoSc from '../../node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf';
import { buildBookletCase } from '../booklet-case';
import { renderCaseModel } from '../render-models';

const fonts = memoryFontSource({
  'NotoSans-Regular': new Uint8Array(notoRegular),
  'NotoSans-Bold': new Uint8Array(notoBold),
  'NotoSansSC-Regular': new Uint8Array(notoSc),
  'NotoEmoji-Regular': new Uint8Array(notoEmoji),
  'NotoSansKR-Regular': new Uint8Array(notoKr),
  'NotoSansArabic-Regular': new Uint8Array(notoArabic),
  'NotoSansDevanagari-Regular': new Uint8Array(notoDevanagari),
});

/** Built by a first request, so the render's own peak can be read apart from the model's. */
let prepared: { kind: string; doc: DocumentModel } | null = null;
let booklet: Awaited<ReturnType<typeof buildBookletCase>> | null = null;

/** The booklet case: its sources are made by the model step, the booklet built by the render step. */
const runBooklet = async (step: string | null) => {
  if (step === 'model') {
    booklet = await buildBookletCase();
    return Response.json({ ok: true });
  }
  const input = booklet ?? (await buildBookletCase());
  const started = performance.now();
  const result = await buildBooklet({ ...input, fonts });
  return Response.json({
    case: 'booklet-500',
    bytes: result.bytes.byteLength,
    pages: result.pageCount,
    ms: Math.round(performance.now() - started),
  });
};

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const kind = params.get('case') ?? '';
    if (kind === 'ready') return Response.json({ ok: true });
    if (kind === 'booklet-500') return runBooklet(params.get('step'));
    if (params.get('step') === 'model') {
      prepared = { kind, doc: renderCaseModel(kind) };
      return Response.json({ ok: true });
    }
    const doc = prepared?.kind === kind ? prepared.doc : renderCaseModel(kind);
    const started = performance.now();
    const file = await render(doc, kind.split('-')[0] as 'pdf' | 'docx' | 'pptx' | 'xlsx', { fonts });
    // workerd's clock moves only across I/O; the fetch around this call is timed by the caller too.
    return Response.json({ case: kind, bytes: file.bytes.byteLength, ms: Math.round(performance.now() - started) });
  },
};
