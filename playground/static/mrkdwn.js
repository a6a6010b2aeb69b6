// Slack's mrkdwn and date tokens, rendered to safe HTML.
//
// Slack text arrives with &, < and > escaped, and raw < … > marking links, mentions and date
// tokens. Tokens and code spans are cut out first; the rest is escaped again before the
// formatting marks (*bold*, _italic_, ~strike~, > quotes) become tags, so no text the bot
// sends can become markup. Date tokens are written in the page's language, as Slack writes
// them in each person's (the browser's Intl data: English keeps Slack's own style).

import { pageLanguage } from "./words.js";

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", hourglass: "⌛",
  hourglass_flowing_sand: "⏳", hourglass_with_flowing_sand: "⏳", clock3: "🕒",
  no_entry: "⛔", no_entry_sign: "🚫", information_source: "ℹ️", bulb: "💡", tada: "🎉",
  rocket: "🚀", receipt: "🧾", money_with_wings: "💸", moneybag: "💰", credit_card: "💳",
  inbox_tray: "📥", outbox_tray: "📤", package: "📦", memo: "📝", pencil: "✏️",
  pencil2: "✏️", lock: "🔒", key: "🔑", bell: "🔔", eyes: "👀", wave: "👋", thumbsup: "👍",
  "+1": "👍", thumbsdown: "👎", "-1": "👎", arrows_counterclockwise: "🔄", repeat: "🔁",
  red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡", large_blue_circle: "🔵",
  heavy_plus_sign: "➕", heavy_minus_sign: "➖", arrow_right: "➡️", calendar: "📆",
  date: "📅", office: "🏢", busts_in_silhouette: "👥", bust_in_silhouette: "👤",
  gear: "⚙️", wrench: "🔧", mag: "🔍", question: "❓", exclamation: "❗", stop_sign: "🛑",
  ticket: "🎫", page_facing_up: "📄", clipboard: "📋", link: "🔗", robot_face: "🤖",
  alarm_clock: "⏰", grey_question: "❔", leftwards_arrow_with_hook: "↩️", raised_hand: "✋",
  raising_hand: "🙋", white_circle: "⚪", black_circle: "⚫", hourglass_done: "⌛",
  new: "🆕", large_orange_circle: "🟠",
};

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// Slack-escaped text → HTML-safe text: keep &amp; &lt; &gt;, escape everything else.
function reescape(text) {
  return text
    .replace(/&(?!(amp|lt|gt);)/g, "&amp;")
    .replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
}

function ordinal(n) {
  const rest = n % 100;
  if (rest >= 11 && rest <= 13) return `${n}th`;
  return n + ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate();
}

function capitalised(text) {
  return text.charAt(0).toLocaleUpperCase(pageLanguage()) + text.slice(1);
}

function prettyDay(date, now) {
  const day = 24 * 3600 * 1000;
  const words = new Intl.RelativeTimeFormat(pageLanguage(), { numeric: "auto" });
  for (const offset of [0, -1, 1]) {
    if (sameDay(date, new Date(now.getTime() + offset * day))) {
      return capitalised(words.format(offset, "day"));
    }
  }
  return null;
}

function clock(date, seconds) {
  const h = date.getHours() % 12 || 12;
  const m = String(date.getMinutes()).padStart(2, "0");
  const s = seconds ? ":" + String(date.getSeconds()).padStart(2, "0") : "";
  return `${h}:${m}${s} ${date.getHours() < 12 ? "AM" : "PM"}`;
}

function ago(date, now) {
  const diff = Math.round((date.getTime() - now.getTime()) / 1000);
  const size = Math.abs(diff);
  const units = [[86400 * 365, "year"], [86400 * 30, "month"], [86400, "day"], [3600, "hour"],
    [60, "minute"], [1, "second"]];
  const words = new Intl.RelativeTimeFormat(pageLanguage(), { numeric: "auto" });
  for (const [secs, name] of units) {
    if (size >= secs) {
      const n = Math.floor(size / secs);
      return words.format(diff < 0 ? -n : n, name);
    }
  }
  return pageLanguage() === "en" ? "just now" : words.format(0, "second");
}

// Slack's date formats in another language: the locale's own order and month names.
function localDates(date) {
  const lang = pageLanguage();
  const format = (options) => new Intl.DateTimeFormat(lang, options).format(date);
  const full = format({ day: "numeric", month: "long", year: "numeric" });
  return {
    short: format({ day: "numeric", month: "short", year: "numeric" }),
    full,
    long: format({ weekday: "long", day: "numeric", month: "long", year: "numeric" }),
    time: (seconds) => format({ hour: "2-digit", minute: "2-digit",
      second: seconds ? "2-digit" : undefined, hour12: false }),
  };
}

// `<!date^UNIX^FORMAT|fallback>` in the browser's own time zone, as Slack does per viewer.
export function formatDate(unix, format, now = new Date()) {
  const date = new Date(Number(unix) * 1000);
  if (Number.isNaN(date.getTime())) return null;
  const y = date.getFullYear();
  const english = pageLanguage() === "en";
  const local = english ? null : localDates(date);
  const short = local ? local.short : `${MONTHS[date.getMonth()].slice(0, 3)} ${date.getDate()}, ${y}`;
  const full = local ? local.full : `${MONTHS[date.getMonth()]} ${ordinal(date.getDate())}, ${y}`;
  const long = local ? local.long : `${DAYS[date.getDay()]}, ${full}`;
  const clockOf = (seconds) => (local ? local.time(seconds) : clock(date, seconds));
  const pretty = prettyDay(date, now);
  const parts = {
    date_num: `${y}-${String(date.getMonth() + 1).padStart(2, "0")}-` +
      String(date.getDate()).padStart(2, "0"),
    date: full, date_short: short, date_long: long,
    date_pretty: pretty || full, date_short_pretty: pretty || short,
    date_long_pretty: pretty || long,
    time: clockOf(false), time_secs: clockOf(true), ago: ago(date, now),
  };
  return format.replace(/\{([a-z_]+)\}/g, (whole, key) => parts[key] ?? whole);
}

// A link to a Slack message (as the bot builds them) stays in the playground.
const ARCHIVES = /^https:\/\/(?:[a-z0-9-]+\.)?slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/;

function link(url, label) {
  const text = reescape(label || url);
  const message = unescapeSlack(url).match(ARCHIVES);
  if (message) {
    const [, channel, secs, micros] = message;
    const here = `?where=${encodeURIComponent(channel)}#${secs}.${micros}`;
    return `<a href="${escapeHtml(here)}" class="message-link" title="${escapeHtml(url)}">${text}</a>`;
  }
  const safe = /^(https?:|mailto:)/i.test(url) ? url : null;
  return safe ? `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${text}</a>`
    : `<span class="bad-link" title="not a web link">${text}</span>`;
}

// One `< … >` token: link, @user, #channel, !here, !subteam, !date.
function token(inner, names) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return `<span class="mention">@${escapeHtml(label || names.users[id] || id)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return `<span class="mention">#${escapeHtml(label || names.channels[id] || id)}</span>`;
  }
  if (target.startsWith("!date^")) {
    const [, unix, format, url] = target.split("^");
    const text = formatDate(unix, format || "{date_num}", names.now ? names.now() : new Date());
    const shown = escapeHtml(text ?? unescapeSlack(label || ""));
    const title = escapeHtml(unescapeSlack(label || ""));
    const body = `<time class="date-token" data-unix="${escapeHtml(unix)}" title="${title}">` +
      `${shown}</time>`;
    return url ? link(url, shown).replace(shown, body) : body;
  }
  if (target.startsWith("!subteam^")) {
    return `<span class="mention">${escapeHtml(label || "@group")}</span>`;
  }
  if (target.startsWith("!")) {
    return `<span class="mention">@${escapeHtml(label || target.slice(1))}</span>`;
  }
  return link(target, label);
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

function inlineMarks(html) {
  const edge = "(^|[\\s(>\"'~_*\\u2014-])";
  const end = "(?=$|[\\s).,!?;:<\"'~_*\\u2014-])";
  return html
    .replace(new RegExp(`${edge}\\*([^*\\n]+?)\\*${end}`, "g"), "$1<b>$2</b>")
    .replace(new RegExp(`${edge}_([^_\\n]+?)_${end}`, "g"), "$1<i>$2</i>")
    .replace(new RegExp(`${edge}~([^~\\n]+?)~${end}`, "g"), "$1<s>$2</s>");
}

// Slack mrkdwn → HTML. `names` = {users: {id: name}, channels: {id: name}, now?}.
export function mrkdwn(text, names = { users: {}, channels: {} }) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let work = String(text ?? "");
  work = work.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre>${reescape(code)}</pre>`));
  work = work.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${reescape(code)}</code>`));
  work = work.replace(/<([^<>\n]+)>/g, (_, inner) => hold(token(inner, names)));
  let html = emojify(inlineMarks(reescape(work)));
  const lines = html.split("\n");
  const out = [];
  let quote = [];
  const flush = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
    quote = [];
  };
  for (const line of lines) {
    if (line.startsWith("&gt; ") || line === "&gt;") {
      quote.push(line.replace(/^&gt; ?/, ""));
    } else {
      flush();
      out.push(line);
    }
  }
  flush();
  html = out.join("\n").replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
}

// A text object (plain_text or mrkdwn) → HTML.
export function textObject(obj, names) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj, names);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
  const plain = escapeHtml(obj.text ?? "").replace(/\n/g, "<br>");
  return obj.emoji === false ? plain : emojify(plain);
}

export function plainText(obj) {
  if (!obj) return "";
  return typeof obj === "string" ? obj : String(obj.text ?? "");
}
