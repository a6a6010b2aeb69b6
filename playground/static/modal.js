// The modal stack: the top view with its title, blocks, errors, close/Back and submit, plus
// the checks Slack makes in the browser before a submission is sent (required fields,
// numbers, emails, lengths), and Block Kit confirmation dialogs.

import { renderBlocks } from "./blocks.js";
import { h } from "./dom.js";
import { mrkdwn, plainText, textObject } from "./mrkdwn.js";
import { hasValue } from "./state.js";
import { t } from "./words.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// Slack's own checks of the input blocks; {block_id: message} for those that fail.
export function localErrors(view, store) {
  const errors = {};
  for (const block of view.blocks || []) {
    if (block.type !== "input" || !block.element) continue;
    const element = block.element;
    const entry = store.get(block.block_id, element.action_id);
    if (!hasValue(entry)) {
      if (!block.optional) errors[block.block_id] = t("required_field");
      continue;
    }
    const value = entry.value;
    if (element.type === "number_input") {
      const number = Number(value);
      if (value === null || value.trim() === "" || Number.isNaN(number)) {
        errors[block.block_id] = t("enter_number");
      } else if (!element.is_decimal_allowed && !Number.isInteger(number)) {
        errors[block.block_id] = t("enter_whole_number");
      } else if (element.min_value !== undefined && number < Number(element.min_value)) {
        errors[block.block_id] = t("number_at_least", { n: element.min_value });
      } else if (element.max_value !== undefined && number > Number(element.max_value)) {
        errors[block.block_id] = t("number_at_most", { n: element.max_value });
      }
    } else if (element.type === "email_text_input" && !EMAIL.test(value)) {
      errors[block.block_id] = t("enter_email");
    } else if (element.type === "url_text_input" && !/^https?:\/\/\S+$/.test(value)) {
      errors[block.block_id] = t("enter_url");
    } else if (element.type === "plain_text_input") {
      if (element.min_length && value.length < element.min_length) {
        errors[block.block_id] = t("characters_at_least", { n: element.min_length });
      } else if (element.max_length && value.length > element.max_length) {
        errors[block.block_id] = t("characters_at_most", { n: element.max_length });
      }
    }
  }
  return errors;
}

// handlers = {back(), closeAll(), submit()}; depth = views in the stack.
export function renderModal(view, depth, ctx, handlers) {
  const title = plainText(view.title) || t("modal");
  const general = ctx.errors?.[""];
  const closeText = plainText(view.close) || t("cancel");
  const dialog = h("div", { class: "modal", role: "dialog", "aria-modal": "true",
    "aria-label": title, dataset: { viewId: view.id, callbackId: view.callback_id || "",
      depth: String(depth) } },
    h("header", { class: "modal-header" },
      depth > 1 ? h("button", { class: "modal-back", type: "button",
        "aria-label": t("previous_view"), title: t("previous_view"), text: "‹", onclick: handlers.back }) : null,
      h("h2", { class: "modal-title", html: textObject(view.title, ctx.names) }),
      depth > 1 ? h("span", { class: "stack-depth", text: `${depth} of 3` }) : null,
      h("button", { class: "modal-x", type: "button", "aria-label": t("close_all"),
        title: t("close"), text: "×", onclick: handlers.closeAll })),
    h("div", { class: "modal-body" },
      general ? h("div", { class: "modal-error", role: "alert", text: general }) : null,
      ...renderBlocks(view.blocks, ctx)),
    h("footer", { class: "modal-footer" },
      h("button", { class: "btn modal-close", type: "button", text: closeText,
        onclick: handlers.back }),
      view.submit ? h("button", { class: "btn primary modal-submit", type: "button",
        text: plainText(view.submit), onclick: handlers.submit }) : null));
  return h("div", { class: "modal-backdrop" }, dialog);
}

// A Block Kit confirmation dialog; resolves true when confirmed.
export function confirmDialog(confirm, names) {
  return new Promise((resolve) => {
    const done = (answer) => { backdrop.remove(); resolve(answer); };
    const style = confirm.style === "danger" ? " danger" : " primary";
    const backdrop = h("div", { class: "modal-backdrop confirm-backdrop" },
      h("div", { class: "modal confirm", role: "alertdialog", "aria-label": plainText(confirm.title) || t("are_you_sure") },
        h("header", { class: "modal-header" }, h("h2", { class: "modal-title", text: plainText(confirm.title) || t("are_you_sure") })),
        h("div", { class: "modal-body", html: confirm.text?.type === "plain_text"
          ? textObject(confirm.text, names) : mrkdwn(confirm.text?.text ?? "", names) }),
        h("footer", { class: "modal-footer" },
          h("button", { class: "btn confirm-deny", type: "button", text: plainText(confirm.deny) || t("cancel"), onclick: () => done(false) }),
          h("button", { class: `btn confirm-ok${style}`, type: "button", text: plainText(confirm.confirm) || t("yes"), onclick: () => done(true) }))));
    document.body.append(backdrop);
  });
}
