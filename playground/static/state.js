// The values of interactive elements, kept as Slack's `state.values`:
// {block_id: {action_id: {type, value | selected_option | selected_options | selected_date …}}}.
// One store per view (kept across views.update for the same block_id/action_id, as Slack
// does) and one per message.

const VALUE_KEYS = ["value", "selected_option", "selected_options", "selected_date",
  "selected_time", "selected_user", "selected_users", "selected_conversation",
  "selected_channel", "selected_date_time"];

export class StateStore {
  constructor() {
    this.values = {};
    this.touched = new Set();
  }

  get(blockId, actionId) {
    return this.values[blockId]?.[actionId];
  }

  set(blockId, actionId, entry, touched = true) {
    this.values[blockId] = this.values[blockId] || {};
    this.values[blockId][actionId] = entry;
    if (touched) this.touched.add(`${blockId}/${actionId}`);
  }

  // The element's initial value, unless the person changed it already.
  seed(blockId, actionId, element) {
    if (this.touched.has(`${blockId}/${actionId}`)) return;
    this.set(blockId, actionId, initialState(element), false);
  }

  // Keeps only what still exists in `blocks` (after a views.update).
  retain(blocks) {
    const keep = new Set();
    for (const block of blocks || []) {
      for (const element of elementsOf(block)) keep.add(`${block.block_id}/${element.action_id}`);
    }
    for (const [blockId, actions] of Object.entries(this.values)) {
      for (const actionId of Object.keys(actions)) {
        if (!keep.has(`${blockId}/${actionId}`)) {
          delete actions[actionId];
          this.touched.delete(`${blockId}/${actionId}`);
        }
      }
      if (!Object.keys(actions).length) delete this.values[blockId];
    }
  }

  // `state.values` as Slack sends it.
  toSlack() {
    return JSON.parse(JSON.stringify(this.values));
  }
}

export function elementsOf(block) {
  if (!block || typeof block !== "object") return [];
  if (block.type === "actions") return (block.elements || []).filter((e) => e && e.action_id);
  if (block.type === "input" && block.element) return [block.element];
  if (block.type === "section" && block.accessory?.action_id) return [block.accessory];
  return [];
}

export function initialState(element) {
  const type = element.type;
  switch (type) {
    case "plain_text_input": case "number_input": case "email_text_input":
    case "url_text_input":
      return { type, value: element.initial_value ?? null };
    case "static_select": case "external_select": case "radio_buttons":
      return { type, selected_option: element.initial_option ?? null };
    case "multi_static_select": case "multi_external_select": case "checkboxes":
      return { type, selected_options: element.initial_options ?? [] };
    case "datepicker":
      return { type, selected_date: element.initial_date ?? null };
    case "timepicker":
      return { type, selected_time: element.initial_time ?? null };
    case "users_select":
      return { type, selected_user: element.initial_user ?? null };
    case "conversations_select":
      return { type, selected_conversation: element.initial_conversation ?? null };
    case "channels_select":
      return { type, selected_channel: element.initial_channel ?? null };
    default:
      return { type };
  }
}

// Is there a value for a required input? (Slack checks this before sending a submission.)
export function hasValue(entry) {
  if (!entry) return false;
  for (const key of VALUE_KEYS) {
    const value = entry[key];
    if (Array.isArray(value) ? value.length : value !== null && value !== undefined &&
        value !== "") {
      return true;
    }
  }
  return false;
}
