// Every visible string, in Korean and English. Views add theirs with registerStrings().

export const LANGUAGES = ["ko", "en"];
const LOCALES = { ko: "ko-KR", en: "en-GB" };
const dictionary = { ko: {}, en: {} };
let current = "en";

/** Add `strings` ({ko: {key: text}, en: {key: text}}); a key defined twice is an error. */
export function registerStrings(strings) {
  for (const language of LANGUAGES) {
    for (const [key, text] of Object.entries(strings[language] || {})) {
      if (key in dictionary[language]) throw new Error(`string '${key}' defined twice`);
      dictionary[language][key] = text;
    }
  }
}

export function setLanguage(language) {
  current = LANGUAGES.includes(language) ? language : "en";
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

/** The text of `key` in the current language, `{name}` placeholders filled from `values`. */
export function t(key, values) {
  const text = dictionary[current][key] ?? dictionary.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}
