/**
 * Fonts for the PDF renderer and PDF form filling. The TTF files are not bundled into the Worker
 * (size and start-up): a `FontSource` loads them on demand (R2 in the Worker, files in Node).
 *
 * Text is split into runs by script so each run is drawn with a font that has its glyphs:
 * Latin/Greek/Cyrillic and symbols → NotoSans, CJK → NotoSansSC, Hangul → NotoSansKR, Arabic →
 * NotoSansArabic, Devanagari → NotoSansDevanagari, emoji → NotoEmoji. This module works on code
 * points only (no font library), so planning which fonts to load is cheap.
 */
export const FONT_NAMES = [
  'NotoSans-Regular',
  'NotoSans-Bold',
  'NotoSansSC-Regular',
  'NotoEmoji-Regular',
  'NotoSansKR-Regular',
  'NotoSansArabic-Regular',
  'NotoSansDevanagari-Regular',
] as const;
export type FontName = (typeof FONT_NAMES)[number];

export interface FontSource {
  /** The TTF bytes, or null when the font is not installed. */
  load(name: FontName): Promise<Uint8Array | null>;
}

/** Where the fonts live in the R2 bucket (FILES). */
export const FONT_KEY_PREFIX = '_system/fonts/';
export const fontKey = (name: FontName) => `${FONT_KEY_PREFIX}${name}.ttf`;

export type BaseFont = 'NotoSans-Regular' | 'NotoSans-Bold';
export const CJK_FONT: FontName = 'NotoSansSC-Regular';
export const EMOJI_FONT: FontName = 'NotoEmoji-Regular';
export const HANGUL_FONT: FontName = 'NotoSansKR-Regular';
export const ARABIC_FONT: FontName = 'NotoSansArabic-Regular';
export const DEVANAGARI_FONT: FontName = 'NotoSansDevanagari-Regular';
/** The fonts only some texts need, in the order they are embedded. */
export const EXTRA_FONTS: readonly FontName[] = [CJK_FONT, EMOJI_FONT, HANGUL_FONT, ARABIC_FONT, DEVANAGARI_FONT];

/** Which code points each loaded font can show. */
export type Coverage = Partial<Record<FontName, ReadonlySet<number>>>;

/** `arabic` and `devanagari` clusters need OpenType shaping; Arabic is also written right to left. */
export type ClusterKind = 'base' | 'cjk' | 'emoji' | 'hangul' | 'arabic' | 'devanagari';
export interface Cluster {
  text: string;
  kind: ClusterKind;
}
export interface FontRun {
  text: string;
  font: FontName;
}

// Hangul is not CJK here: NotoSansSC has no Hangul, NotoSansKR does.
const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u3000-\u30FF\u3190-\u31FF\u3200-\u33FF\uFE30-\uFE4F\uFF00-\uFFEF]/u;
const HANGUL = /\p{Script=Hangul}/u;
// Script extensions: the Arabic comma, question mark and digits, and the danda, which the script's
// own font has and which join the words around them.
const ARABIC = /\p{Script_Extensions=Arabic}/u;
const DEVANAGARI = /\p{Script_Extensions=Devanagari}/u;
/** Marks and joiners that stay with the Arabic or Devanagari character before them (shaping reads them together). */
const JOINS_PREVIOUS = /[\p{M}\u200C\u200D]/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

const VS15 = 0xfe0e;
const VS16 = 0xfe0f;
const ZWJ = 0x200d;
const KEYCAP = 0x20e3;
const isRegionalIndicator = (cp: number) => cp >= 0x1f1e6 && cp <= 0x1f1ff;
const isSkinTone = (cp: number) => cp >= 0x1f3fb && cp <= 0x1f3ff;
const isTag = (cp: number) => cp >= 0xe0020 && cp <= 0xe007f;
const isKeycapBase = (cp: number) => (cp >= 0x30 && cp <= 0x39) || cp === 0x23 || cp === 0x2a;

/**
 * Symbol blocks NotoSans lacks but NotoSansSC has (arrows, maths, box drawing, shapes): only these
 * justify loading the 10 MB CJK font for a document without CJK text.
 */
const SC_SYMBOL_RANGES: [number, number][] = [
  [0x2190, 0x21ff],
  [0x2200, 0x22ff],
  [0x2460, 0x24ff],
  [0x2500, 0x257f],
  [0x25a0, 0x25ff],
  [0x2600, 0x26ff],
];
const inScSymbols = (cp: number) => SC_SYMBOL_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);

/**
 * Cleans text before layout: NFC (pdf-lib ignores mark positioning, so precomposed letters look
 * right), CRLF → LF, tabs → spaces, other control characters dropped.
 */
export const normalizeText = (text: string): string =>
  text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '');

/** The kind of a character that is neither emoji nor CJK: Hangul, Arabic, Devanagari or anything else. */
const scriptKind = (ch: string): ClusterKind => {
  if (ARABIC.test(ch)) return 'arabic';
  if (DEVANAGARI.test(ch)) return 'devanagari';
  if (HANGUL.test(ch)) return 'hangul';
  return 'base';
};

/**
 * Splits text into clusters: emoji sequences (ZWJ, skin tones, flags, keycaps) stay whole, and an
 * Arabic or Devanagari character keeps the marks and joiners after it.
 */
export const clusters = (text: string): Cluster[] => {
  const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
  const out: Cluster[] = [];
  let i = 0;
  while (i < cps.length) {
    const cp = cps[i];
    const next = cps[i + 1];
    // Fast path: below U+0600 (Latin, Greek, Cyrillic) only ©, ® and keycap bases can start an
    // emoji, and nothing is CJK, Hangul, Arabic or Devanagari.
    if (cp < 0x0600 && cp !== 0xa9 && cp !== 0xae && !isKeycapBase(cp)) {
      out.push({ text: String.fromCharCode(cp), kind: 'base' });
      i += 1;
      continue;
    }
    const ch = String.fromCodePoint(cp);
    let end = i + 1;
    let kind: ClusterKind = 'base';
    if (cp >= 0x0600 && cp < 0x2000) {
      // No emoji and no CJK in this range: only scripts (Arabic, Devanagari, Hangul jamo, others).
      kind = scriptKind(ch);
    } else if (isRegionalIndicator(cp)) {
      kind = 'emoji';
      if (next !== undefined && isRegionalIndicator(next)) end = i + 2;
    } else if (isKeycapBase(cp) && (next === KEYCAP || (next === VS16 && cps[i + 2] === KEYCAP))) {
      kind = 'emoji';
      end = next === KEYCAP ? i + 2 : i + 3;
    } else if (PICTOGRAPHIC.test(ch) && next !== VS15 && (EMOJI_PRESENTATION.test(ch) || next === VS16)) {
      kind = 'emoji';
      // Modifiers, variation selectors, tags and ZWJ-joined pictographs belong to the same emoji.
      while (end < cps.length) {
        const c = cps[end];
        if (c === VS16 || isSkinTone(c) || isTag(c) || c === KEYCAP) end += 1;
        else if (c === ZWJ && end + 1 < cps.length && PICTOGRAPHIC.test(String.fromCodePoint(cps[end + 1]))) end += 2;
        else break;
      }
    } else if (CJK.test(ch)) {
      // The CJK ranges hold halfwidth and enclosed Hangul too.
      kind = HANGUL.test(ch) ? 'hangul' : 'cjk';
    } else if (cp >= 0x2000) {
      kind = scriptKind(ch);
    }
    if (kind === 'arabic' || kind === 'devanagari') {
      while (end < cps.length && JOINS_PREVIOUS.test(String.fromCodePoint(cps[end]))) end += 1;
    }
    out.push({ text: String.fromCodePoint(...cps.slice(i, end)), kind });
    i = end;
  }
  return out;
};

/** The font each script's clusters are drawn with when it has them. */
const SCRIPT_FONTS: Partial<Record<ClusterKind, FontName>> = {
  cjk: CJK_FONT,
  hangul: HANGUL_FONT,
  arabic: ARABIC_FONT,
  devanagari: DEVANAGARI_FONT,
};

/**
 * The fonts a set of texts needs, given what the base font covers. The CJK, Hangul, Arabic and
 * Devanagari fonts are only loaded for text in their script (or, for the CJK font, symbols only it
 * has), the emoji font for emoji or other characters NotoSans lacks. NotoSans has the basic
 * Devanagari block too, but Devanagari text still asks for NotoSansDevanagari: it also has the Vedic
 * signs and Devanagari Extended, so a word never ends up split between two fonts.
 */
export const fontsNeeded = (texts: Iterable<string>, base: ReadonlySet<number>): Set<FontName> => {
  const need = new Set<FontName>();
  for (const raw of texts) {
    if (!raw) continue;
    for (const cluster of clusters(normalizeText(raw))) {
      const script = SCRIPT_FONTS[cluster.kind];
      if (script) need.add(script);
      else if (cluster.kind === 'emoji') need.add(EMOJI_FONT);
      else {
        const cp = cluster.text.codePointAt(0)!;
        if (cp === 0x0a || base.has(cp) || IGNORABLE.test(cluster.text)) continue;
        need.add(EMOJI_FONT);
        if (inScSymbols(cp)) need.add(CJK_FONT);
      }
    }
    if (need.size === EXTRA_FONTS.length) break;
  }
  return need;
};

const covers = (set: ReadonlySet<number> | undefined, text: string) => {
  if (!set) return false;
  for (const ch of text) if (!set.has(ch.codePointAt(0)!)) return false;
  return true;
};

/** The replacement for a character no loaded font can show. */
export const replacementChar = (coverage: Coverage, base: BaseFont) => (coverage[base]?.has(0xfffd) ? '\uFFFD' : '?');

/** Fits an emoji cluster to the emoji font: drops selectors/modifiers it lacks. */
const fitEmoji = (text: string, set: ReadonlySet<number>) => {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (set.has(cp)) out += ch;
    else if (!(cp === VS16 || cp === ZWJ || isSkinTone(cp) || isTag(cp))) return null;
  }
  return out || null;
};

export interface FontCluster extends Cluster {
  font: FontName;
}

/**
 * Assigns each cluster of one line a loaded font that can show it. Characters no loaded font has
 * become U+FFFD (or '?'); invisible ones (ZWJ, selectors) are dropped instead.
 */
export const resolveClusters = (text: string, coverage: Coverage, base: BaseFont): FontCluster[] => {
  const out: FontCluster[] = [];
  const baseSet = coverage[base];
  const emojiSet = coverage[EMOJI_FONT];
  const order: FontName[] = [base, ...EXTRA_FONTS];
  for (const cluster of clusters(text)) {
    if (cluster.kind === 'base' && cluster.text.length === 1 && baseSet?.has(cluster.text.charCodeAt(0))) {
      out.push({ ...cluster, font: base });
      continue;
    }
    if (cluster.kind === 'emoji' && emojiSet) {
      const fitted = fitEmoji(cluster.text, emojiSet);
      if (fitted) {
        out.push({ text: fitted, kind: 'emoji', font: EMOJI_FONT });
        continue;
      }
    }
    const script = SCRIPT_FONTS[cluster.kind];
    if (script && covers(coverage[script], cluster.text)) {
      out.push({ ...cluster, font: script });
      continue;
    }
    // Anything else: per character, the first loaded font that has it.
    for (const ch of cluster.text) {
      const font = order.find((name) => coverage[name]?.has(ch.codePointAt(0)!));
      if (font) out.push({ text: ch, kind: cluster.kind, font });
      else if (!IGNORABLE.test(ch)) out.push({ text: replacementChar(coverage, base), kind: 'base', font: base });
    }
  }
  return out;
};

/** Splits one line of text into runs of one font each (see resolveClusters). */
export const resolveRuns = (text: string, coverage: Coverage, base: BaseFont): FontRun[] => {
  const runs: FontRun[] = [];
  for (const { text: t, font } of resolveClusters(text, coverage, base)) {
    const last = runs.at(-1);
    if (last && last.font === font) last.text += t;
    else runs.push({ text: t, font });
  }
  return runs;
};

/** A FontSource over bytes already in memory (tests, Node scripts). */
export const memoryFontSource = (fonts: Partial<Record<FontName, Uint8Array>>): FontSource => ({
  load: async (name) => fonts[name] ?? null,
});
