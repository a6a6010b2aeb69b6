// A conversation's messages: author, time, "only visible to you", edits, threads, blocks
// (or the text when there are none) and attachments.

import { renderAttachments, renderBlocks } from "./blocks.js";
import { h } from "./dom.js";
import { mrkdwn } from "./mrkdwn.js";

const SLACKBOT = "USLACKBOT";

function clockOf(ts) {
  const date = new Date(Number(String(ts).split(".")[0]) * 1000);
  return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

function author(message, snapshot) {
  if (message.author === snapshot.bot.id) return { name: snapshot.bot.name, app: true };
  if (message.author === SLACKBOT) return { name: "Slackbot", app: true };
  const person = snapshot.people.find((p) => p.id === message.author);
  return { name: person ? person.real_name : message.author, app: false };
}

// ctxFor(message) gives the render context (state store and handlers) of one message.
export function renderConversation(messages, snapshot, ctxFor) {
  const tops = [];
  const replies = new Map();
  const byTs = new Set(messages.map((m) => m.ts));
  for (const m of messages) {
    if (m.thread_ts && m.thread_ts !== m.ts && byTs.has(m.thread_ts)) {
      if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
      replies.get(m.thread_ts).push(m);
    } else {
      tops.push(m);
    }
  }
  const out = [];
  for (const m of tops) {
    const node = renderMessage(m, snapshot, ctxFor(m));
    const thread = replies.get(m.ts);
    if (thread) {
      node.append(h("div", { class: "thread" },
        h("div", { class: "thread-label", text: `${thread.length} repl${thread.length === 1 ? "y" : "ies"}` }),
        thread.map((r) => renderMessage(r, snapshot, ctxFor(r)))));
    }
    out.push(node);
  }
  if (!out.length) out.push(h("div", { class: "empty-conversation", text: "No messages yet." }));
  return out;
}

function renderMessage(message, snapshot, ctx) {
  const who = author(message, snapshot);
  const attrs = { class: "message" + (message.ephemeral ? " ephemeral" : ""),
    dataset: { ts: message.ts, channel: message.channel, author: message.author } };
  if (message.note === "command") {
    return h("div", { ...attrs, class: attrs.class + " command-echo" },
      h("span", { text: `${who.name} ran ` }), h("code", { text: message.text }));
  }
  const body = h("div", { class: "message-body" });
  if (message.blocks?.length) body.append(...renderBlocks(message.blocks, ctx));
  else if (message.text) body.append(h("div", { class: "message-text", html: mrkdwn(message.text, ctx.names) }));
  if (message.attachments?.length) body.append(...renderAttachments(message.attachments, ctx));
  return h("div", attrs,
    h("div", { class: "avatar" + (who.app ? " app" : ""), text: who.name.slice(0, 1).toUpperCase() }),
    h("div", { class: "message-main" },
      h("div", { class: "message-meta" },
        h("span", { class: "author", text: who.name }),
        who.app ? h("span", { class: "app-badge", text: "APP" }) : null,
        h("span", { class: "time", text: clockOf(message.ts) }),
        message.edited ? h("span", { class: "edited", text: "(edited)" }) : null),
      body,
      message.ephemeral ? h("div", { class: "ephemeral-note", text: "Only visible to you" }) : null));
}
