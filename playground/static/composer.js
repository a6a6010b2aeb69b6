// The message box: `/csp …` with suggestions of the subcommands (read from the bot's router),
// and of people after an `@` (completed into `<@U…>`, as Slack's composer sends a mention);
// Tab or a click to complete, arrows to move, Enter to send.

import { h } from "./dom.js";
import { t } from "./words.js";

export class Composer {
  // catalogue = {command: "/csp", subcommands: [{name, summary, example}]}; send(text) → Promise;
  // people() → the workspace's members [{id, name, real_name}]
  constructor(catalogue, send, people = () => []) {
    this.catalogue = catalogue;
    this.send = send;
    this.people = people;
    this.active = 0;
    this.items = [];
    this.input = h("input", { id: "composer", class: "composer-input", type: "text",
      autocomplete: "off", "aria-label": "Message", spellcheck: "false",
      dataset: { i18nLabel: "message" } });
    this.list = h("ul", { id: "command-suggestions", class: "command-suggestions",
      role: "listbox", hidden: true });
    this.error = h("div", { class: "composer-error", role: "status" });
    this.node = h("div", { class: "composer" }, this.list, this.error,
      h("div", { class: "composer-row" }, this.input,
        h("button", { class: "btn primary composer-send", type: "button", text: "Send",
          dataset: { i18n: "send" }, onclick: () => this.submit() })));
    this.input.addEventListener("input", () => this.suggest());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("blur", () => setTimeout(() => { this.list.hidden = true; }, 150));
  }

  placeholder(where) {
    this.input.placeholder = `Message ${where} — try ${this.catalogue.command} help`;
  }

  mentionCandidates(text) {
    const at = text.lastIndexOf(" ") + 1;
    const word = text.slice(at);
    if (!word.startsWith("@")) return null;
    const typed = word.slice(1).toLowerCase();
    return this.people()
      .filter((p) => p.name.toLowerCase().startsWith(typed) ||
        p.real_name.toLowerCase().startsWith(typed))
      .map((p) => ({ label: `@${p.name}`, detail: p.real_name,
        value: `${text.slice(0, at)}<@${p.id}> ` }));
  }

  // "@sam" typed in full, not picked from the list, is sent as the mention too.
  mentions(text) {
    const byName = new Map(this.people().map((p) => [p.name.toLowerCase(), p.id]));
    return text.replace(/(^|\s)@([\w.-]+)/g, (all, space, name) =>
      byName.has(name.toLowerCase()) ? `${space}<@${byName.get(name.toLowerCase())}>` : all);
  }

  candidates() {
    const text = this.input.value;
    const command = this.catalogue.command;
    const mentions = this.mentionCandidates(text);
    if (mentions) return mentions;
    if (!text.startsWith("/")) return [];
    if (!text.includes(" ")) {
      return command.startsWith(text)
        ? [{ label: command, detail: "csp-bot: Microsoft 365 licenses through OVHcloud", value: `${command} ` }]
        : [];
    }
    const [head, ...rest] = text.split(" ");
    if (head !== command || rest.length > 1) return [];
    const word = rest[0].toLowerCase();
    return this.catalogue.subcommands
      .filter((s) => s.name.startsWith(word))
      .map((s) => ({ label: `${command} ${s.name}`, detail: s.summary, example: s.example,
        value: `${command} ${s.name} ` }));
  }

  suggest() {
    this.error.textContent = "";
    this.items = this.candidates();
    this.active = 0;
    this.draw();
  }

  draw() {
    this.list.replaceChildren(...this.items.map((item, i) => h("li", {
      class: "command-suggestion" + (i === this.active ? " active" : ""), role: "option",
      "aria-selected": i === this.active ? "true" : "false", dataset: { value: item.value },
      onmousedown: (e) => { e.preventDefault(); this.complete(item); },
    }, h("span", { class: "command-name", text: item.label }),
    h("span", { class: "command-summary", text: item.detail }),
    item.example ? h("span", { class: "command-example", text: item.example }) : null)));
    this.list.hidden = !this.items.length;
  }

  complete(item) {
    this.input.value = item.value;
    this.input.focus();
    this.suggest();
  }

  key(e) {
    const open = !this.list.hidden && this.items.length;
    if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.items.length) % this.items.length;
      this.draw();
    } else if (open && e.key === "Tab") {
      e.preventDefault();
      this.complete(this.items[this.active]);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const item = open ? this.items[this.active] : null;
      // Enter on a suggestion completes the text (as in Slack); on a complete command, sends.
      if (item && item.value.trim() !== this.input.value.trim()) {
        this.complete(item);
      } else {
        this.submit();
      }
    } else if (e.key === "Escape") {
      this.list.hidden = true;
    }
  }

  async submit() {
    const text = this.mentions(this.input.value.trim());
    if (!text) return;
    if (text.startsWith("/") && text.split(" ")[0] !== this.catalogue.command) {
      this.error.textContent = t("not_a_command",
        { typed: text.split(" ")[0], command: this.catalogue.command });
      return;
    }
    this.input.value = "";
    this.list.hidden = true;
    await this.send(text);
  }
}
