// Character references: numeric ones in full, named ones for the HTML 4 set (Latin-1, symbols,
// Greek, typography), which covers what real pages use; an unknown name is left as written.

const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'.split(
    ' ',
  );
const GREEK_UPPER = 'Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho'.split(
  ' ',
);
const GREEK_UPPER_2 = 'Sigma Tau Upsilon Phi Chi Psi Omega'.split(' ');

// name:code pairs.
const OTHERS =
  'quot:34 amp:38 apos:39 lt:60 gt:62 OElig:338 oelig:339 Scaron:352 scaron:353 Yuml:376 fnof:402 circ:710 tilde:732 thetasym:977 upsih:978 piv:982 ensp:8194 emsp:8195 thinsp:8201 zwnj:8204 zwj:8205 lrm:8206 rlm:8207 ndash:8211 mdash:8212 lsquo:8216 rsquo:8217 sbquo:8218 ldquo:8220 rdquo:8221 bdquo:8222 dagger:8224 Dagger:8225 bull:8226 hellip:8230 permil:8240 prime:8242 Prime:8243 lsaquo:8249 rsaquo:8250 oline:8254 frasl:8260 euro:8364 image:8465 weierp:8472 real:8476 trade:8482 alefsym:8501 larr:8592 uarr:8593 rarr:8594 darr:8595 harr:8596 crarr:8629 lArr:8656 uArr:8657 rArr:8658 dArr:8659 hArr:8660 forall:8704 part:8706 exist:8707 empty:8709 nabla:8711 isin:8712 notin:8713 ni:8715 prod:8719 sum:8721 minus:8722 lowast:8727 radic:8730 prop:8733 infin:8734 ang:8736 and:8743 or:8744 cap:8745 cup:8746 int:8747 there4:8756 sim:8764 cong:8773 asymp:8776 ne:8800 equiv:8801 le:8804 ge:8805 sub:8834 sup:8835 nsub:8836 sube:8838 supe:8839 oplus:8853 otimes:8855 perp:8869 sdot:8901 lceil:8968 rceil:8969 lfloor:8970 rfloor:8971 lang:9001 rang:9002 loz:9674 spades:9824 clubs:9827 hearts:9829 diams:9830 nbhy:8209 hyphen:8208 NewLine:10 Tab:9';

const NAMED = new Map<string, string>();
LATIN1.forEach((name, i) => {
  NAMED.set(name, String.fromCharCode(160 + i));
});
GREEK_UPPER.forEach((name, i) => {
  NAMED.set(name, String.fromCharCode(913 + i));
  NAMED.set(name.toLowerCase(), String.fromCharCode(945 + i));
});
GREEK_UPPER_2.forEach((name, i) => {
  NAMED.set(name, String.fromCharCode(931 + i));
  NAMED.set(name.toLowerCase(), String.fromCharCode(963 + i));
});
NAMED.set('sigmaf', String.fromCharCode(962));
for (const pair of OTHERS.split(' ')) {
  const [name, code] = pair.split(':');
  NAMED.set(name!, String.fromCharCode(Number(code)));
}

/** Names a browser also decodes without the final ';' (the legacy Latin-1 set and the XML five). */
const LEGACY = new Set([...LATIN1, 'quot', 'amp', 'lt', 'gt']);

// Windows-1252 for numeric references to C1 controls, as browsers do (&#150; is an en dash).
const CP1252: Record<number, number> = Object.fromEntries(
  '128:8364 130:8218 131:402 132:8222 133:8230 134:8224 135:8225 136:710 137:8240 138:352 139:8249 140:338 142:381 145:8216 146:8217 147:8220 148:8221 149:8226 150:8211 151:8212 152:732 153:8482 154:353 155:8250 156:339 158:382 159:376'
    .split(' ')
    .map((pair) => pair.split(':').map(Number)),
);

const fromCodePoint = (code: number) => {
  if (CP1252[code]) return String.fromCharCode(CP1252[code]);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
  return String.fromCodePoint(code);
};

export const NAMED_ENTITY_COUNT = NAMED.size;

export const decodeEntities = (text: string): string => {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}))(;?)/g,
    (all, dec, hex, name, semi) => {
      if (dec) return fromCodePoint(Number.parseInt(dec, 10));
      if (hex) return fromCodePoint(Number.parseInt(hex, 16));
      const value = NAMED.get(name);
      if (value !== undefined && (semi || LEGACY.has(name))) return value;
      // "&copy2024" style: the longest legacy prefix followed by other characters.
      if (!semi) {
        for (let len = Math.min(name.length - 1, 6); len >= 2; len--) {
          const prefix = name.slice(0, len);
          if (LEGACY.has(prefix)) return NAMED.get(prefix)! + name.slice(len);
        }
      }
      return all;
    },
  );
};
