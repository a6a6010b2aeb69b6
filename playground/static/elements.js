// Block Kit elements → DOM. A change updates the state store; where Slack would send a
// block_actions payload (actions blocks, section accessories, inputs with dispatch_action,
// every button), `ctx.act(action, block)` sends it.

import { h, rawBox, uniqueId } from "./dom.js";
import { plainText, textObject } from "./mrkdwn.js";
import { t } from "./words.js";

const STATEFUL = new Set(["plain_text_input", "number_input", "email_text_input",
  "url_text_input", "static_select", "external_select", "multi_static_select",
  "multi_external_select", "radio_buttons", "checkboxes", "datepicker", "timepicker",
  "users_select", "conversations_select", "channels_select"]);

export function renderElement(element, block, ctx, interactive) {
  if (!element || typeof element !== "object") return rawBox("element", element);
  const blockId = block.block_id;
  const actionId = element.action_id;
  if (STATEFUL.has(element.type)) ctx.state.seed(blockId, actionId, element);
  const base = { type: element.type, action_id: actionId, block_id: blockId };
  const store = (entry) => ctx.state.set(blockId, actionId, { type: element.type, ...entry });
  const changed = (entry) => {
    store(entry);
    if (interactive) ctx.act({ ...base, ...entry }, block);
  };
  const current = ctx.state.get(blockId, actionId) || {};
  const domId = element._domId || uniqueId("el");
  const data = { dataset: { actionId: actionId || "", elementType: element.type } };

  switch (element.type) {
    case "button": return button(element, block, ctx, base);
    case "overflow": return overflow(element, block, ctx, base);
    case "static_select": case "users_select": case "conversations_select":
    case "channels_select": case "multi_static_select":
      return nativeSelect(element, ctx, current, domId, data, changed);
    case "external_select": case "multi_external_select":
      return typeahead(element, block, ctx, current, domId, data, changed);
    case "radio_buttons": case "checkboxes":
      return choices(element, ctx, current, domId, data, changed);
    case "datepicker":
      return h("input", { ...data, id: domId, type: "date", class: "datepicker",
        value: current.selected_date || "",
        onchange: (e) => changed({ selected_date: e.target.value || null }) });
    case "timepicker":
      return h("input", { ...data, id: domId, type: "time", value: current.selected_time || "",
        onchange: (e) => changed({ selected_time: e.target.value || null }) });
    case "plain_text_input": case "number_input": case "email_text_input":
    case "url_text_input":
      return textInput(element, current, domId, data, store, interactive ? changed : null);
    case "image":
      return h("span", { class: "img-chip", title: element.image_url, text: `🖼 ${element.alt_text || "image"}` });
    default:
      return rawBox(`${element.type} element`, element);
  }
}

async function confirmed(element, ctx) {
  return !element.confirm || ctx.confirm(element.confirm);
}

function button(element, block, ctx, base) {
  const style = element.style ? ` ${element.style}` : "";
  return h("button", {
    class: `btn${style}`, type: "button", dataset: { actionId: element.action_id || "" },
    html: textObject(element.text, ctx.names),
    onclick: async (e) => {
      const target = e.currentTarget;  // gone after the first await
      if (!(await confirmed(element, ctx))) return;
      if (element.url) window.open(element.url, "_blank", "noopener");
      target.classList.add("busy");
      const action = { ...base, text: element.text, value: element.value };
      if (element.style) action.style = element.style;
      try {
        await ctx.act(action, block);
      } finally {
        target.classList.remove("busy");
      }
    },
  });
}

function overflow(element, block, ctx, base) {
  const menu = h("div", { class: "menu", hidden: true, role: "menu" });
  const wrap = h("span", { class: "overflow" },
    h("button", { class: "btn overflow-button", type: "button", title: t("more_actions"),
      "aria-label": t("more_actions"), dataset: { actionId: element.action_id || "" },
      onclick: () => { menu.hidden = !menu.hidden; } }, "⋯"), menu);
  for (const option of element.options || []) {
    menu.append(h("button", { class: "menu-item", type: "button", role: "menuitem",
      html: textObject(option.text, ctx.names),
      onclick: async () => {
        menu.hidden = true;
        if (option.url) window.open(option.url, "_blank", "noopener");
        if (!(await confirmed(element, ctx))) return;
        await ctx.act({ ...base, selected_option: option }, block);
      } }));
  }
  return wrap;
}

function optionList(element, ctx) {
  if (element.type === "users_select") {
    return [{ options: ctx.people.map((p) => ({ text: { type: "plain_text", text: p.real_name }, value: p.id })) }];
  }
  if (element.type === "conversations_select" || element.type === "channels_select") {
    return [{ options: ctx.conversations.map((c) => ({ text: { type: "plain_text", text: c.name }, value: c.id })) }];
  }
  if (element.option_groups) return element.option_groups;
  return [{ options: element.options || [] }];
}

function nativeSelect(element, ctx, current, domId, data, changed) {
  const multi = element.type.startsWith("multi_");
  const select = h("select", { ...data, id: domId, class: "select", multiple: multi });
  if (!multi) {
    select.append(h("option", { value: "", disabled: true,
      text: plainText(element.placeholder) || t("select_option") }));
  }
  const chosen = chosenValues(element, current);
  const byValue = new Map();
  for (const group of optionList(element, ctx)) {
    const parent = group.label ? h("optgroup", { label: plainText(group.label) }) : select;
    for (const option of group.options || []) {
      byValue.set(option.value, option);
      parent.append(h("option", { value: option.value, text: plainText(option.text),
        selected: chosen.includes(option.value) }));
    }
    if (parent !== select) select.append(parent);
  }
  if (!multi && !chosen.length) select.value = "";
  select.addEventListener("change", () => {
    const picked = [...select.selectedOptions].map((o) => o.value).filter(Boolean);
    if (element.type === "users_select") return changed({ selected_user: picked[0] || null });
    if (element.type === "conversations_select") return changed({ selected_conversation: picked[0] || null });
    if (element.type === "channels_select") return changed({ selected_channel: picked[0] || null });
    if (multi) return changed({ selected_options: picked.map((v) => byValue.get(v)) });
    return changed({ selected_option: byValue.get(picked[0]) || null });
  });
  return select;
}

function chosenValues(element, current) {
  if (current.selected_option) return [current.selected_option.value];
  if (current.selected_options) return current.selected_options.map((o) => o.value);
  const single = current.selected_user || current.selected_conversation || current.selected_channel;
  return single ? [single] : [];
}

function typeahead(element, block, ctx, current, domId, data, changed) {
  const multi = element.type === "multi_external_select";
  const minimum = element.min_query_length ?? 3;
  let picked = multi ? [...(current.selected_options || [])] : current.selected_option;
  const list = h("ul", { class: "suggestions", role: "listbox", hidden: true });
  const chips = h("span", { class: "chips" });
  const field = h("input", { ...data, id: domId, type: "text", class: "typeahead",
    autocomplete: "off", role: "combobox",
    placeholder: plainText(element.placeholder) || t("type_to_search"),
    value: !multi && picked ? plainText(picked.text) : "" });
  const drawChips = () => {
    chips.replaceChildren(...(multi ? picked : []).map((o) => h("span", { class: "chip" },
      plainText(o.text), h("button", { type: "button", class: "chip-x", "aria-label": t("remove"), text: "×",
        onclick: () => { picked = picked.filter((p) => p.value !== o.value); drawChips(); changed({ selected_options: picked }); } }))));
  };
  drawChips();
  let timer = null;
  let asked = 0;
  const ask = async () => {
    const query = field.value;
    if (query.length < minimum) { list.hidden = true; return; }
    const mine = ++asked;
    list.replaceChildren(h("li", { class: "loading", text: t("searching") }));
    list.hidden = false;
    const groups = await ctx.suggest(block, element, query);
    if (mine !== asked) return;
    const items = [];
    for (const group of groups) {
      if (group.label) items.push(h("li", { class: "group-label", text: plainText(group.label) }));
      for (const option of group.options || []) {
        items.push(h("li", { class: "suggestion", role: "option", text: plainText(option.text),
          onmousedown: (e) => {
            e.preventDefault();
            list.hidden = true;
            if (multi) {
              if (!picked.some((p) => p.value === option.value)) picked.push(option);
              field.value = "";
              drawChips();
              changed({ selected_options: picked });
            } else {
              picked = option;
              field.value = plainText(option.text);
              changed({ selected_option: option });
            }
          } }));
      }
    }
    list.replaceChildren(...(items.length ? items : [h("li", { class: "empty", text: t("no_results") })]));
  };
  field.addEventListener("input", () => {
    if (!multi && picked) { picked = null; ctx.state.set(block.block_id, element.action_id, { type: element.type, selected_option: null }); }
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  field.addEventListener("focus", () => { if (minimum === 0) ask(); });
  field.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
  return h("div", { class: "typeahead-wrap" }, chips, field, list);
}

function choices(element, ctx, current, domId, data, changed) {
  const radio = element.type === "radio_buttons";
  const chosen = chosenValues(element, current);
  const name = uniqueId("choice");
  const wrap = h("div", { ...data, id: domId, class: `choices ${element.type}`, role: radio ? "radiogroup" : "group" });
  const options = element.options || [];
  options.forEach((option) => {
    const box = h("input", { type: radio ? "radio" : "checkbox", name, value: option.value,
      checked: chosen.includes(option.value) });
    box.addEventListener("change", () => {
      const checked = [...wrap.querySelectorAll("input:checked")].map((i) => i.value);
      const selected = options.filter((o) => checked.includes(o.value));
      changed(radio ? { selected_option: selected[0] || null } : { selected_options: selected });
    });
    wrap.append(h("label", { class: "choice" }, box,
      h("span", { class: "choice-text" }, h("span", { html: textObject(option.text, ctx.names) }),
        option.description ? h("span", { class: "choice-description", html: textObject(option.description, ctx.names) }) : null)));
  });
  return wrap;
}

function textInput(element, current, domId, data, store, dispatch) {
  const kind = { number_input: "number", email_text_input: "email", url_text_input: "url" }[element.type] || "text";
  const attrs = { ...data, id: domId, class: "text-input", placeholder: plainText(element.placeholder),
    minlength: element.min_length, maxlength: element.max_length };
  if (element.type === "number_input") {
    Object.assign(attrs, { step: element.is_decimal_allowed ? "any" : "1", min: element.min_value,
      max: element.max_value, inputmode: element.is_decimal_allowed ? "decimal" : "numeric" });
  }
  const field = element.multiline ? h("textarea", { ...attrs, rows: 4 })
    : h("input", { ...attrs, type: kind });
  field.value = current.value ?? "";
  field.addEventListener("input", () => store({ value: field.value === "" ? null : field.value }));
  if (dispatch) {
    const onEnter = (element.dispatch_action_config?.trigger_actions_on || ["on_enter_pressed"]).includes("on_enter_pressed");
    field.addEventListener("keydown", (e) => {
      if (onEnter && e.key === "Enter" && !e.shiftKey) { e.preventDefault(); dispatch({ value: field.value || null }); }
    });
    if (!onEnter) field.addEventListener("input", () => dispatch({ value: field.value || null }));
  }
  return field;
}
