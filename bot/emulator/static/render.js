// Rendering of messages for the sandbox page: text with Telegram entities, photos, documents,
// locations and inline keyboards. Everything is built with DOM nodes and textContent, never
// innerHTML, because message text comes from the bot and from whoever typed it.
(() => {
"use strict";

const ENTITY_TAGS = {
  bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  blockquote: "blockquote", expandable_blockquote: "blockquote", spoiler: "span",
  mention: "span", hashtag: "span", cashtag: "span", bot_command: "span", email: "span",
  phone_number: "span",
};
const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

// Wrap one text node in the element an entity stands for (or leave it as it is).
function wrapEntity(node, entity, text, actions) {
  let wrapper = null;
  if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url" ? text.substr(entity.offset, entity.length) : entity.url;
    if (SAFE_LINK.test(href || "")) {
      wrapper = h("a", { href, target: "_blank", rel: "noopener noreferrer" });
    }
  } else if (ENTITY_TAGS[entity.type]) {
    wrapper = h(ENTITY_TAGS[entity.type], { class: `entity-${entity.type}` });
    if (entity.type === "bot_command" && actions.command) {
      const command = text.substr(entity.offset, entity.length);
      wrapper.setAttribute("role", "link");
      wrapper.tabIndex = 0;
      wrapper.addEventListener("click", () => actions.command(command));
    }
    if (entity.type === "spoiler") {
      wrapper.addEventListener("click", () => wrapper.classList.add("revealed"));
    }
  }
  if (!wrapper) return node;
  wrapper.append(node);
  return wrapper;
}

// Text plus entities (offsets in UTF-16 code units, which is what JavaScript strings count).
function richText(text, entities, actions) {
  const out = document.createDocumentFragment();
  if (!entities || !entities.length) {
    out.append(text);
    return out;
  }
  const cuts = new Set([0, text.length]);
  for (const e of entities) {
    cuts.add(e.offset);
    cuts.add(Math.min(text.length, e.offset + e.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const [from, to] = [points[i], points[i + 1]];
    let node = document.createTextNode(text.slice(from, to));
    const active = entities.filter((e) => e.offset <= from && e.offset + e.length >= to);
    active.sort((a, b) => a.length - b.length); // innermost first
    for (const e of active) node = wrapEntity(node, e, text, actions);
    out.append(node);
  }
  return out;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function avatar(name, id) {
  const hue = (Math.abs(Number(id)) * 47) % 360;
  return h("span", { class: "avatar", style: `--hue:${hue}`, "aria-hidden": "true" },
    (name || "?").trim().charAt(0));
}

function inlineKeyboard(message, actions) {
  const rows = (message.reply_markup || {}).inline_keyboard;
  if (!rows || !rows.length) return null;
  return h("div", { class: "inline-keyboard" }, rows.map((row) => h("div", { class: "kb-row" },
    row.map((button) => {
      if (button.url) {
        const safe = SAFE_LINK.test(button.url) ? button.url : undefined;
        return h("a", { class: "kb", href: safe, target: "_blank", rel: "noopener noreferrer" },
          `${button.text} ↗`);
      }
      return h("button", {
        type: "button", class: "kb",
        onclick: (event) => actions.press(message, button, event.currentTarget),
      }, button.text);
    }))));
}

function messageBody(m, actions, t) {
  if (m.deleted) return [h("p", { class: "deleted" }, t("deleted"))];
  const parts = [];
  if (m.photo && m.photo.length) {
    const size = m.photo[m.photo.length - 1];
    parts.push(h("img", { class: "photo", src: `/api/files/${encodeURIComponent(size.file_id)}`,
      alt: m.caption || "photo", loading: "lazy" }));
  }
  if (m.document) {
    const d = m.document;
    parts.push(h("a", { class: "document", download: d.file_name || "file",
      href: `/api/files/${encodeURIComponent(d.file_id)}?download=1` },
      h("span", { class: "doc-icon", "aria-hidden": "true" }, "📄"),
      h("span", {}, h("strong", {}, d.file_name || t("file")),
        h("small", {}, formatSize(d.file_size || 0)))));
  }
  if (m.location) {
    const { latitude, longitude } = m.location;
    parts.push(h("div", { class: "location" }, h("span", { "aria-hidden": "true" }, "📍"),
      `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
  }
  const text = m.text ?? m.caption;
  if (text) {
    parts.push(h("div", { class: "text" },
      richText(text, m.text != null ? m.entities : m.caption_entities, actions)));
  }
  return parts;
}

// A service message (someone joined or left, the group was created or upgraded) as one line
// of names and signs, the same in every language; null for an ordinary message.
function serviceLine(m, botName) {
  // Injected updates may carry anything here: never fail on a malformed member.
  const name = (u) => (u && typeof u === "object" && (u.is_bot ? botName : u.first_name)) || "?";
  if (Array.isArray(m.new_chat_members)) return `➕ ${m.new_chat_members.map(name).join(", ")}`;
  if (m.left_chat_member) return `➖ ${name(m.left_chat_member)}`;
  if (m.group_chat_created) return `✨ ${m.chat.title || ""}`;
  if (m.migrate_to_chat_id || m.migrate_from_chat_id) return `⬆ ${m.chat.title || ""}`;
  if (m.new_chat_title) return `✎ ${m.new_chat_title}`;
  return null;
}

// One message bubble: the bot and other people on the left, the persona on the right.
function messageNode(m, ctx) {
  const line = m.deleted ? null : serviceLine(m, ctx.botName);
  if (line !== null) {
    return h("div", { class: "msg service", dataset: { id: String(m.message_id) } },
      h("span", {}, line));
  }
  const { me, actions, t, group } = ctx;
  const mine = !m.from_bot && m.from && m.from.id === me;
  const sender = m.from_bot ? ctx.botName : (m.from ? m.from.first_name : "");
  const meta = h("span", { class: "meta" },
    m.edit_date && !m.deleted ? h("span", { class: "edited" }, t("edited")) : null,
    clock(m.edit_date || m.date));
  const bubble = h("div", { class: "bubble" },
    group && !mine ? h("div", { class: "sender" }, sender) : null,
    messageBody(m, actions, t), meta);
  const row = h("div", {
    class: `msg ${mine ? "me" : "them"}${m.from_bot ? " from-bot" : ""}`,
    dataset: { id: String(m.message_id) },
  }, mine ? null : avatar(sender, m.from ? m.from.id : 0),
  h("div", { class: "stack" }, bubble, m.deleted ? null : inlineKeyboard(m, actions)));
  return row;
}

window.render = { h, richText, messageNode, avatar, clock };
})();
