// Fonts for PDF rendering. The TTF files come from the @expo-google-fonts dev dependencies and are
// never bundled into the Worker (size, start-up): they live in R2 (bucket flowspark-files, binding
// FILES) under _system/fonts/<name>.ttf, where the Worker's r2FontSource reads them.
//
//   node scripts/fonts.mjs                        local R2 (what `npm run dev` and the bench use)
//   node scripts/fonts.mjs --persist-to <dir>     local R2 in another state directory
//   node scripts/fonts.mjs --remote               the production bucket (`npm run fonts:upload`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietEnv, root, wranglerBin } from './local-setup.mjs';

export const FONT_BUCKET = 'flowspark-files';
export const FONT_PREFIX = '_system/fonts/';

/** Font name (as the renderer asks for it) → TTF file under node_modules. */
export const FONT_FILES = {
  'NotoSans-Regular': 'node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  'NotoSans-Bold': 'node_modules/@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  'NotoSansSC-Regular': 'node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  'NotoEmoji-Regular': 'node_modules/@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf',
  'NotoSansKR-Regular': 'node_modules/@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf',
  'NotoSansArabic-Regular': 'node_modules/@expo-google-fonts/noto-sans-arabic/400Regular/NotoSansArabic_400Regular.ttf',
  'NotoSansDevanagari-Regular':
    'node_modules/@expo-google-fonts/noto-sans-devanagari/400Regular/NotoSansDevanagari_400Regular.ttf',
};

export const fontPath = (name) => join(root, FONT_FILES[name]);

const put = (name, location) => {
  const result = spawnSync(
    wranglerBin,
    [
      'r2',
      'object',
      'put',
      `${FONT_BUCKET}/${FONT_PREFIX}${name}.ttf`,
      '--file',
      fontPath(name),
      '--content-type',
      'font/ttf',
      ...location,
    ],
    { cwd: root, env: { ...quietEnv, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`Uploading font ${name} to R2 failed`);
  }
};

/** What was installed, so a restart does not re-upload 18 MB: sizes and times of the source files. */
const fingerprint = () =>
  Object.fromEntries(
    Object.keys(FONT_FILES).map((name) => {
      const stat = statSync(fontPath(name));
      return [name, `${stat.size}:${Math.round(stat.mtimeMs)}`];
    }),
  );

/**
 * Puts the fonts into the LOCAL R2 bucket (wrangler's local state, or `persistTo`). A stamp file in
 * that state directory records what was installed; files already there are skipped, and wiping
 * the state directory wipes the stamp with it.
 */
export const installFontsLocal = (persistTo) => {
  const missing = Object.keys(FONT_FILES).filter((name) => !existsSync(fontPath(name)));
  if (missing.length) throw new Error(`Font files missing (run npm install): ${missing.join(', ')}`);
  const stateDir = persistTo ?? join(root, '.wrangler', 'state');
  const stampPath = join(stateDir, 'flowspark-fonts.json');
  const current = fingerprint();
  const stamp = existsSync(stampPath) ? JSON.parse(readFileSync(stampPath, 'utf8')) : {};
  const todo = Object.keys(FONT_FILES).filter((name) => stamp[name] !== current[name]);
  for (const name of todo) put(name, ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])]);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(stampPath, `${JSON.stringify(current, null, 2)}\n`);
  console.log(`Local R2 fonts: ${todo.length ? `installed ${todo.join(', ')}` : 'up to date'}.`);
};

/** Puts the fonts into the production bucket (needs `wrangler login` or CLOUDFLARE_API_TOKEN). */
export const uploadFontsRemote = () => {
  for (const name of Object.keys(FONT_FILES)) {
    put(name, ['--remote', '--config', 'wrangler.production.toml']);
    console.log(`Uploaded ${FONT_PREFIX}${name}.ttf to ${FONT_BUCKET}.`);
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--remote')) uploadFontsRemote();
  else {
    const at = args.indexOf('--persist-to');
    installFontsLocal(at >= 0 ? args[at + 1] : undefined);
  }
}
