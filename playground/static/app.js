// The playground page: who you are, where you are, what the bot showed you.
//
// The server holds Slack's side (messages, modal stacks, Home tabs); this page renders it for
// the chosen person, sends what they do to the server, and refreshes when the server's event
// stream says something changed.

import { renderBlocks } from "./blocks.js";
import { Composer } from "./composer.js";
import { h } from "./dom.js";
import { renderConversation } from "./messages.js";
import { confirmDialog, localErrors, renderModal } from "./modal.js";
import { StateStore } from "./state.js";
import { applyChrome, t } from "./words.js";

const API = "/playground/api";
const HOME = "home";

const page = {
  user: null, where: "C0STAFF", snapshot: null, catalogue: null, composer: null,
  viewStores: new Map(), messageStores: new Map(), localErrors: {}, seen: {}, drawn: {},
};

async function call(path, body) {
  const response = await fetch(`${API}/${path}`, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) notify(`${path}: ${data.error || response.status} ${data.detail || ""}`);
  return data;
}

function notify(text) {
  const log = document.getElementById("local-log");
  log.textContent = text;
}

// --- data -----------------------------------------------------------------------------------

function names() {
  const snap = page.snapshot;
  const users = Object.fromEntries(snap.people.map((p) => [p.id, p.real_name]));
  users[snap.bot.id] = snap.bot.name;
  return { users, channels: snap.channel_names };
}

function storeForView(view) {
  let entry = page.viewStores.get(view.id);
  if (!entry) {
    entry = { store: new StateStore(), hash: view.hash };
    page.viewStores.set(view.id, entry);
  } else if (entry.hash !== view.hash) {
    entry.store.retain(view.blocks);
    entry.hash = view.hash;
  }
  return entry.store;
}

function storeForMessage(message) {
  const key = `${message.channel}/${message.ts}`;
  if (!page.messageStores.has(key)) page.messageStores.set(key, new StateStore());
  return page.messageStores.get(key);
}

function baseCtx(surface, store, errors) {
  return {
    surface, state: store, errors, names: names(), people: page.snapshot.people,
    conversations: page.snapshot.channels, confirm: (dialog) => confirmDialog(dialog, names()),
  };
}

function viewCtx(view, surface) {
  const store = storeForView(view);
  const ctx = baseCtx(surface, store, { ...(view.errors || {}), ...(page.localErrors[view.id] || {}) });
  ctx.act = (action) => track((async () => {
    await call("action", { user: page.user, action, view_id: view.id, state: store.toSlack() });
    await refresh();
  })());
  ctx.suggest = async (block, element, value) => (await call("suggest", {
    user: page.user, view_id: view.id, block_id: block.block_id, action_id: element.action_id,
    value, state: store.toSlack() })).groups || [];
  return ctx;
}

// Actions in flight from a modal: a submission waits for them, so it is built from the view
// the bot's answer (often a views.update) leaves, as it would be once Slack had redrawn it.
const inflight = new Set();
function track(promise) {
  inflight.add(promise);
  document.body.classList.add("acting");
  return promise.finally(() => {
    inflight.delete(promise);
    document.body.classList.toggle("acting", inflight.size > 0);
  });
}

// Where the person is typing, so a redrawn modal (views.update) keeps the focus and caret.
function focusOf(slot) {
  const active = document.activeElement;
  const block = active && slot.contains(active) ? active.closest("[data-block-id]") : null;
  if (!block || !active.dataset.actionId) return null;
  return { block: block.dataset.blockId, action: active.dataset.actionId,
    start: active.selectionStart, end: active.selectionEnd };
}

function refocus(slot, focus) {
  if (!focus) return;
  const selector = `[data-block-id="${CSS.escape(focus.block)}"] ` +
    `[data-action-id="${CSS.escape(focus.action)}"]`;
  const field = slot.querySelector(selector);
  if (!field) return;
  field.focus();
  try {
    field.setSelectionRange(focus.start, focus.end);
  } catch {
    // not a text field: focus is enough
  }
}

async function submitTop(button) {
  button.disabled = true;
  while (inflight.size) await Promise.allSettled([...inflight]);
  await refresh();
  const stack = page.snapshot.modals;
  const top = stack[stack.length - 1];
  if (!top) return;
  const store = storeForView(top);
  const errors = localErrors(top, store);
  if (Object.keys(errors).length) {
    page.localErrors[top.id] = errors;
  } else {
    delete page.localErrors[top.id];
    await call("submit", { user: page.user, view_id: top.id, state: store.toSlack() });
  }
  page.drawn.modal = null;
  await refresh();
  button.disabled = false;
}

function messageCtx(message) {
  const store = storeForMessage(message);
  const ctx = baseCtx("message", store, {});
  ctx.act = async (action) => {
    await call("action", { user: page.user, action, channel: message.channel,
      message_ts: message.ts, state: store.toSlack() });
    await refresh();
  };
  ctx.suggest = async (block, element, value) => (await call("suggest", {
    user: page.user, block_id: block.block_id, action_id: element.action_id, value })).groups || [];
  return ctx;
}

// --- drawing --------------------------------------------------------------------------------

function once(key, value, draw) {
  const text = JSON.stringify(value);
  if (page.drawn[key] === text) return;
  page.drawn[key] = text;
  draw();
}

function visible(channel) {
  return page.snapshot.messages.filter((m) => m.channel === channel);
}

function drawPeople() {
  const snap = page.snapshot;
  const box = document.getElementById("people");
  box.replaceChildren(...snap.people.map((p) => h("button", {
    class: "person" + (p.id === page.user ? " current" : ""), type: "button",
    dataset: { user: p.id }, "aria-pressed": p.id === page.user ? "true" : "false",
    onclick: () => switchUser(p.id),
  }, h("b", { text: p.real_name }), h("span", { class: "role", text: ` — ${p.profile.title}` }),
  h("span", { class: "user-id", text: ` ${p.id}` }))));
}

// The language switcher, beside the user switcher: the person's Slack language.
function drawLanguage() {
  const snap = page.snapshot;
  const select = document.getElementById("language");
  once("language", { user: page.user, language: snap.language }, () => {
    select.replaceChildren(...snap.languages.map((l) => h("option", {
      value: l.code, text: l.name, selected: l.code === snap.language })));
    select.value = snap.language;
    select.onchange = () => switchLanguage(select.value);
  });
}

function drawSidebar() {
  const snap = page.snapshot;
  const seen = page.seen[page.user] || (page.seen[page.user] = {});
  if (page.where !== HOME) seen[page.where] = visible(page.where).length;
  const item = (id, label, kind) => {
    const unread = id === HOME ? 0 : Math.max(0, visible(id).length - (seen[id] || 0));
    return h("button", { class: `nav-item ${kind}` + (page.where === id ? " current" : "") +
      (unread ? " unread" : ""), type: "button", dataset: { conversation: id },
      onclick: () => go(id) }, h("span", { text: label }),
    unread ? h("span", { class: "badge", text: String(unread) }) : null);
  };
  document.getElementById("sidebar").replaceChildren(
    h("div", { class: "nav-heading", text: t("apps") }), item(HOME, t("home_item"), "home"),
    h("div", { class: "nav-heading", text: t("channels") }),
    ...snap.channels.filter((c) => c.kind === "channel").map((c) => item(c.id, c.name, "channel")),
    h("div", { class: "nav-heading", text: t("direct_messages") }),
    ...snap.channels.filter((c) => c.kind === "dm").map((c) => item(c.id, c.name, "dm")));
}

function drawMain() {
  const snap = page.snapshot;
  const title = document.getElementById("where");
  const composer = document.getElementById("composer-slot");
  const list = document.getElementById("messages");
  if (page.where === HOME) {
    title.textContent = t("home_title");
    composer.hidden = true;
    const home = snap.home && { id: snap.home.id, hash: snap.home.hash };
    once("main", { home, user: page.user }, () => {
      list.replaceChildren(snap.home
        ? h("div", { class: "home-view", dataset: { viewId: snap.home.id, hash: snap.home.hash } }, ...renderBlocks(snap.home.blocks, viewCtx(snap.home, "home")))
        : h("div", { class: "empty-conversation", text: t("no_home") }));
    });
    return;
  }
  const channel = snap.channels.find((c) => c.id === page.where) || { name: page.where };
  title.textContent = channel.name;
  composer.hidden = false;
  page.composer.placeholder(channel.name);
  once("main", { messages: visible(page.where), user: page.user, where: page.where }, () => {
    list.replaceChildren(...renderConversation(visible(page.where), snap, messageCtx));
    list.scrollTop = list.scrollHeight;
    const linked = window.location.hash.slice(1);  // a permalink: show that message
    const target = linked && list.querySelector(`.message[data-ts="${CSS.escape(linked)}"]`);
    if (target) {
      target.classList.add("linked");
      target.scrollIntoView({ block: "center" });
    }
  });
}

function drawModal() {
  const stack = page.snapshot.modals;
  const slot = document.getElementById("modal-slot");
  const top = stack[stack.length - 1];
  const key = top && { id: top.id, hash: top.hash, errors: top.errors, local: page.localErrors[top.id] };
  once("modal", { key, depth: stack.length }, () => {
    if (!top) { slot.replaceChildren(); return; }
    const ctx = viewCtx(top, "modal");
    const store = ctx.state;
    const close = (all) => async () => {
      delete page.localErrors[top.id];
      await call("close", { user: page.user, view_id: top.id, state: store.toSlack(), all });
      await refresh();
    };
    const focus = focusOf(slot);
    slot.replaceChildren(renderModal(top, stack.length, ctx, {
      back: close(false), closeAll: close(true),
      submit: (e) => submitTop(e.currentTarget),
    }));
    refocus(slot, focus);
  });
}

function drawNotices() {
  const notices = page.snapshot.notices.slice(-6);
  once("notices", notices, () => {
    const box = document.getElementById("notices");
    box.hidden = !notices.length;
    box.replaceChildren(h("div", { class: "notices-title", text: t("log") }),
      ...notices.map((n) => h("div", { class: `notice ${n.level}`, text: n.text })));
  });
}

function draw() {
  document.body.dataset.version = String(page.snapshot.version);
  document.body.dataset.user = page.user;
  document.body.dataset.where = page.where;
  applyChrome(page.snapshot.chrome, page.snapshot.language);
  drawPeople();
  drawLanguage();
  drawSidebar();
  drawMain();
  drawModal();
  drawNotices();
}

// --- doing ----------------------------------------------------------------------------------

// One refresh at a time; a change announced during one is read by one more afterwards.
let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        again = false;
        const response = await fetch(`${API}/state?user=${encodeURIComponent(page.user)}`);
        if (response.ok) {
          page.snapshot = await response.json();
          draw();
        }
      } while (again);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function go(where) {
  // app_home_opened first: the tab shows once the bot has had its chance to publish.
  if (where === HOME) await call("home", { user: page.user });
  page.where = where;
  sessionStorage.setItem("playground.where", where);
  await refresh();
}

async function switchUser(user) {
  page.user = user;
  sessionStorage.setItem("playground.user", user);
  const url = new URL(window.location.href);
  url.searchParams.set("user", user);
  window.history.replaceState(null, "", url);
  page.drawn = {};
  await go(page.where);
}

async function switchLanguage(language) {
  page.snapshot = await call("language", { user: page.user, language });
  page.drawn = {};
  await refresh();
}

async function send(text) {
  if (text.startsWith("/")) {
    await call("command", { user: page.user, channel: page.where, text });
  } else {
    await call("message", { user: page.user, channel: page.where, text });
  }
  await refresh();
}

function listen() {
  const events = new EventSource(`${API}/events`);
  events.onmessage = () => refresh();
  events.onerror = () => {
    document.body.classList.add("disconnected");
    setTimeout(refresh, 2000);
  };
  events.onopen = () => document.body.classList.remove("disconnected");
}

async function start() {
  const params = new URLSearchParams(window.location.search);
  page.user = params.get("user") || sessionStorage.getItem("playground.user") || "U0ALICE";
  page.where = params.get("where") || sessionStorage.getItem("playground.where") || "C0STAFF";
  page.catalogue = await call("commands");
  page.composer = new Composer(page.catalogue, send, () => page.snapshot?.people || []);
  document.getElementById("composer-slot").append(page.composer.node);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  page.snapshot = await call("session", { user: page.user, tz });
  if (page.where === HOME) await call("home", { user: page.user });
  await refresh();
  listen();
  document.body.classList.add("ready");
}

start();
