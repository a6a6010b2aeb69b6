// Block Kit blocks → DOM, for messages, modals and the Home tab.
//
// ctx = {names, surface, state (StateStore), errors ({block_id: message}), act(action, block),
//        suggest(block, element, query), confirm(dialog)}; see elements.js for the elements.

import { h, rawBox, uniqueId } from "./dom.js";
import { renderElement } from "./elements.js";
import { escapeHtml, mrkdwn, plainText, textObject } from "./mrkdwn.js";

export function renderBlocks(blocks, ctx) {
  const out = [];
  for (const block of blocks || []) {
    let node;
    try {
      node = renderBlock(block, ctx);
    } catch (error) {
      node = rawBox(`${block?.type} block (${error.message})`, block);
    }
    out.push(node);
    const error = ctx.errors?.[block?.block_id];
    if (error && block?.type !== "input") {
      out.push(h("div", { class: "field-error", role: "alert", text: error }));
    }
  }
  return out;
}

function renderBlock(block, ctx) {
  const attrs = (kind) => ({
    class: `block block-${kind}`, dataset: { blockId: block.block_id || "", type: kind },
  });
  switch (block?.type) {
    case "section": return section(block, ctx, attrs("section"));
    case "header":
      return h("div", attrs("header"), h("h3", { html: textObject(block.text, ctx.names) }));
    case "divider": return h("div", attrs("divider"), h("hr"));
    case "context": return context(block, ctx, attrs("context"));
    case "actions":
      return h("div", attrs("actions"),
        (block.elements || []).map((el) => renderElement(el, block, ctx, true)));
    case "input": return input(block, ctx, attrs("input"));
    case "image": return image(block, attrs("image"));
    case "rich_text": return h("div", attrs("rich_text"), richText(block.elements, ctx));
    default: return rawBox(`${block?.type ?? "untyped"} block`, block);
  }
}

function section(block, ctx, attrs) {
  const body = h("div", { class: "section-body" });
  if (block.text) body.append(h("div", { class: "section-text", html: textObject(block.text, ctx.names) }));
  if (block.fields?.length) {
    body.append(h("div", { class: "section-fields" },
      block.fields.map((f) => h("div", { class: "field", html: textObject(f, ctx.names) }))));
  }
  const node = h("div", attrs, body);
  if (block.accessory) {
    node.append(h("div", { class: "accessory" }, renderElement(block.accessory, block, ctx, true)));
  }
  return node;
}

function context(block, ctx, attrs) {
  return h("div", attrs, (block.elements || []).map((el) => {
    if (el.type === "image") return h("span", { class: "img-chip", title: el.image_url, text: `🖼 ${el.alt_text || "image"}` });
    if (el.type === "mrkdwn" || el.type === "plain_text") {
      return h("span", { class: "context-text", html: textObject(el, ctx.names) });
    }
    return rawBox(`${el.type} in a context block`, el);
  }));
}

function image(block, attrs) {
  // Not fetched: the playground loads nothing from outside this machine.
  return h("div", attrs,
    block.title ? h("div", { class: "image-title", text: plainText(block.title) }) : null,
    h("div", { class: "image-placeholder" }, `🖼 ${block.alt_text || "image"} `,
      h("a", { href: block.image_url, target: "_blank", rel: "noopener", text: "(open)" })));
}

function input(block, ctx, attrs) {
  const id = uniqueId("input");
  const label = h("label", { class: "input-label", for: id },
    plainText(block.label), block.optional ? h("span", { class: "optional", text: " (optional)" }) : null);
  const element = renderElement({ ...block.element, _domId: id }, block, ctx, !!block.dispatch_action);
  const error = ctx.errors?.[block.block_id];
  return h("div", { ...attrs, class: attrs.class + (error ? " has-error" : "") },
    label, element,
    block.hint ? h("div", { class: "hint", html: textObject(block.hint, ctx.names) }) : null,
    error ? h("div", { class: "field-error", role: "alert", text: error }) : null);
}

// --- rich_text (the blocks Slack builds from what people type) ----------------------------------

function richText(elements, ctx) {
  return (elements || []).map((el) => {
    switch (el.type) {
      case "rich_text_section": return h("div", { class: "rt-section" }, richInline(el.elements, ctx));
      case "rich_text_preformatted": return h("pre", {}, richInline(el.elements, ctx));
      case "rich_text_quote": return h("blockquote", {}, richInline(el.elements, ctx));
      case "rich_text_list": {
        const list = h(el.style === "ordered" ? "ol" : "ul", { class: "rt-list" });
        for (const item of el.elements || []) list.append(h("li", {}, richText([item], ctx)));
        return list;
      }
      default: return rawBox(`${el.type} in rich_text`, el);
    }
  });
}

function richInline(elements, ctx) {
  return (elements || []).map((el) => {
    let node;
    switch (el.type) {
      case "text": node = h("span", { text: el.text }); break;
      case "link": node = h("a", { href: /^(https?:|mailto:)/.test(el.url) ? el.url : "#", target: "_blank", rel: "noopener", text: el.text || el.url }); break;
      case "user": node = h("span", { class: "mention", text: `@${ctx.names.users[el.user_id] || el.user_id}` }); break;
      case "channel": node = h("span", { class: "mention", text: `#${ctx.names.channels[el.channel_id] || el.channel_id}` }); break;
      case "emoji": node = h("span", { html: mrkdwn(`:${escapeHtml(el.name)}:`, ctx.names) }); break;
      case "date": node = h("span", { html: mrkdwn(`<!date^${el.timestamp}^${el.format}|${el.fallback || ""}>`, ctx.names) }); break;
      default: return rawBox(`${el.type} in rich_text`, el);
    }
    const style = el.style || {};
    if (style.code) node = h("code", {}, node);
    if (style.bold) node = h("b", {}, node);
    if (style.italic) node = h("i", {}, node);
    if (style.strike) node = h("s", {}, node);
    return node;
  });
}

// Legacy attachments: a coloured bar with their blocks, or their text and fields.
export function renderAttachments(attachments, ctx) {
  return (attachments || []).map((att) => {
    const color = /^#?[0-9a-f]{6}$/i.test(att.color || "") ? `#${att.color.replace("#", "")}`
      : ({ good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a" }[att.color] || "#ddd");
    const body = h("div", { class: "attachment-body" });
    if (att.blocks?.length) body.append(...renderBlocks(att.blocks, ctx));
    else {
      if (att.pretext) body.append(h("div", { html: mrkdwn(att.pretext, ctx.names) }));
      if (att.title) body.append(h("div", { class: "att-title", text: att.title }));
      if (att.text) body.append(h("div", { html: mrkdwn(att.text, ctx.names) }));
      for (const f of att.fields || []) {
        body.append(h("div", { class: "field" }, h("b", { text: f.title || "" }), h("div", { html: mrkdwn(f.value || "", ctx.names) })));
      }
      if (!att.pretext && !att.title && !att.text && !(att.fields || []).length) {
        body.append(rawBox("attachment", att));
      }
    }
    return h("div", { class: "attachment", style: `border-left-color:${color}` }, body);
  });
}
