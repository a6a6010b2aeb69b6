// The page's own words in the shown person's language: the server sends them with every
// snapshot (`chrome`, from the bot's catalogues); elements marked `data-i18n` take their text,
// `data-i18n-label` their aria-label, `data-i18n-title` their title.

let words = {};
let language = "en";

// `t("number_at_least", { n: 3 })`: the word `key`, its `{name}` placeholders filled in.
export function t(key, values = {}) {
  const text = words[key] || key;
  return text.replace(/\{([a-z_]+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function pageLanguage() {
  return language;
}

export function applyChrome(chrome, lang) {
  words = chrome || {};
  language = lang || "en";
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    const text = words[node.dataset.i18n];
    if (text && node.textContent !== text) node.textContent = text;
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    const text = words[node.dataset.i18nLabel];
    if (text) node.setAttribute("aria-label", text);
  }
  for (const node of document.querySelectorAll("[data-i18n-title]")) {
    const text = words[node.dataset.i18nTitle];
    if (text) node.setAttribute("title", text);
  }
}
