import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { loadEnglish, NAMESPACES, zhCN, type Bundle } from './resources';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const KEY = 'citypay.language';
const LOADERS: Record<Language, () => Promise<Bundle>> = { 'zh-CN': () => Promise.resolve(zhCN), en: loadEnglish };

function initialLanguage(): Language {
  const saved = localStorage.getItem(KEY);
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN';
}

/** The language's strings, fetched once (English is a chunk of its own). */
async function ensureLoaded(lang: Language): Promise<void> {
  if (i18n.hasResourceBundle(lang, 'common')) return;
  const bundle = await LOADERS[lang]();
  for (const ns of NAMESPACES) i18n.addResourceBundle(lang, ns, bundle[ns], true, true);
}

const initial = initialLanguage();
void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': zhCN },
  partialBundledLanguages: true,
  lng: 'zh-CN',
  fallbackLng: 'zh-CN',
  ns: [...NAMESPACES],
  defaultNS: 'common',
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
});

/** Resolves once the reader's language is loaded and set: the app renders after it (main.tsx), so no flash of the other one. */
export const i18nReady: Promise<void> = setLanguage(initial, false).catch(() => setLanguage('zh-CN', false));

export async function setLanguage(lang: Language, remember = true): Promise<void> {
  await ensureLoaded(lang);
  if (remember) localStorage.setItem(KEY, lang);
  await i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
