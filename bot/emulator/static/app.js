// The sandbox page: pick a persona, open a chat, talk to the bot. It acts through the
// emulator's control API (/control, same origin) and redraws on server-sent events (/events).
"use strict";

const { h, messageNode, avatar } = window.render;
const $ = (id) => document.getElementById(id);

const state = {
  lang: localStorage.getItem("linli.lang") || "zh_CN",
  strings: {},
  personas: [],
  me: null, // the persona's Telegram id
  chats: [],
  chat: null, // the open chat
  messages: new Map(), // message_id → control view of the open chat's messages
  chatSeq: 0,
  callsAfter: 0,
  chatNames: new Map(),
  unread: new Set(),
  usedKeyboards: new Set(), // one-time reply keyboards already used
  panel: null, // the open drawer on a narrow screen: "personas", "chats", "inspector" or null
};

// Where the page is narrow, the inspector (up to 1100 px) and the persona and chat lists (up to
// 760 px, a phone) are drawers over the chat; the same widths as in style.css.
const inspectorDrawer = window.matchMedia("(max-width: 1100px)");
const phone = window.matchMedia("(max-width: 760px)");

function t(key, params) {
  let text = state.strings[key] ?? key;
  for (const [name, value] of Object.entries(params || {})) {
    text = text.replaceAll(`{${name}}`, value);
  }
  return text;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
}

// Run `work` now, or once more after the current run if asked while it runs. The promise
// settles when a run that started after this call has finished, so callers can rely on it.
function refresher(work) {
  let running = null;
  let again = false;
  return function trigger() {
    if (running) { again = true; return running; }
    running = (async () => {
      try {
        do { again = false; await work(); } while (again);
      } catch (error) {
        console.error(error);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

// --- toasts and alerts -----------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

// --- language ---------------------------------------------------------------------------------

async function setLanguage(lang) {
  state.lang = lang;
  localStorage.setItem("linli.lang", lang);
  state.strings = await api(`/api/strings?lang=${lang}`);
  document.documentElement.lang = lang === "zh_CN" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-placeholder]")) {
    node.placeholder = t(node.dataset.placeholder);
  }
  for (const node of document.querySelectorAll("[data-title]")) {
    node.title = t(node.dataset.title);
    node.setAttribute("aria-label", t(node.dataset.title));
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  closePopup();
  await refreshPersonas();
  if (state.chat) { renderHeader(); await reloadChat(); }
}

// --- drawers (narrow screens) -------------------------------------------------------------

const PANELS = { personas: ["personas-panel", "who-button"], chats: ["chats-panel", "chats-button"],
  inspector: ["inspector", "inspector-toggle"] };

// Open one drawer (or none). Focus goes into it, to the person or chat chosen now, and back to
// its button when it closes, so the keyboard follows what the eye sees.
function showPanel(name) {
  const was = state.panel;
  state.panel = name;
  document.body.dataset.panel = name || "";
  $("backdrop").hidden = !name;
  syncToggles();
  if (name) {
    const panel = $(PANELS[name][0]);
    (panel.querySelector('[aria-pressed="true"], [aria-current="true"]') ||
      panel.querySelector("button, tr[tabindex]"))?.focus();
  } else if (was && document.activeElement?.closest(`#${PANELS[was][0]}`)) {
    $(PANELS[was][1]).focus({ preventScroll: true });
  }
}

function togglePanel(name) {
  showPanel(state.panel === name ? null : name);
}

function syncToggles() {
  $("who-button").setAttribute("aria-expanded", String(state.panel === "personas"));
  $("chats-button").setAttribute("aria-expanded", String(state.panel === "chats"));
  const inspector = inspectorDrawer.matches ? state.panel === "inspector"
    : !document.body.classList.contains("no-inspector");
  $("inspector-toggle").setAttribute("aria-expanded", String(inspector));
}

// A drawer the page became wide enough to show as a column is closed.
function onResize() {
  if ((!phone.matches && ["personas", "chats"].includes(state.panel)) ||
      (!inspectorDrawer.matches && state.panel === "inspector")) showPanel(null);
  else syncToggles();
}

// The "who am I" button: the persona acting now, or the question when there is none yet.
function renderWho() {
  const p = persona();
  $("who-button").replaceChildren(...[
    p ? avatar(p.name, p.id) : null,
    h("span", { class: "who-text" }, p ? h("small", {}, t("you_are")) : null,
      h("strong", {}, p ? p.name : t("who"))),
    h("span", { class: "caret", "aria-hidden": "true" }, "▾")].filter(Boolean));
  $("chats-button").hidden = !p;
  $("who-button").title = t("switch_persona");
}

// --- personas -------------------------------------------------------------------------------

const refreshPersonas = refresher(async () => {
  state.personas = await api(`/api/personas?lang=${state.lang}`);
  $("personas").replaceChildren(...state.personas.map((p) => h("li", {},
    h("button", { type: "button", class: "persona", "aria-pressed": String(p.id === state.me),
      dataset: { id: String(p.id) }, onclick: () => selectPersona(p.id) },
    avatar(p.name, p.id),
    h("span", { class: "persona-text" }, h("strong", { class: "persona-name" }, p.name),
      p.roles.map((line) => h("span", { class: "role" }, line)),
      p.note ? h("span", { class: "note" }, p.note) : null)))));
  renderWho();
});

function persona() {
  return state.personas.find((p) => p.id === state.me);
}

async function selectPersona(id) {
  state.me = id;
  localStorage.setItem("linli.persona", String(id));
  state.unread.clear();
  for (const b of document.querySelectorAll(".persona")) {
    b.setAttribute("aria-pressed", String(Number(b.dataset.id) === id));
  }
  renderWho();
  if (state.panel === "personas") showPanel(null);
  await refreshChats();
  await openChat(id); // the private chat with the bot
}

// --- chats ------------------------------------------------------------------------------------

const refreshChats = refresher(async () => {
  if (state.me === null) return;
  state.chats = await api(`/api/chats?user_id=${state.me}`);
  // A private chat is named after its user (for the inspector), not after the bot.
  for (const chat of state.chats) {
    if (chat.type !== "private") state.chatNames.set(chat.id, chat.title);
  }
  $("chats").replaceChildren(...state.chats.map((chat) => h("li", {},
    h("button", { type: "button", class: "chat-item", dataset: { id: String(chat.id) },
      "aria-current": state.chat && state.chat.id === chat.id ? "true" : null,
      onclick: () => openChat(chat.id) },
    avatar(chat.title, chat.id),
    h("span", { class: "chat-text" }, h("strong", {}, chat.title),
      h("span", { class: "preview" }, chat.type === "private" ? (chat.last || t("private_chat"))
        : (chat.last || t("members", { count: chat.members })))),
    state.unread.has(chat.id) ? h("span", { class: "dot", "aria-hidden": "true" }) : null))));
  $("chats-dot").hidden = !state.chats.some((c) => state.unread.has(c.id));
});

function renderHeader() {
  const chat = state.chat;
  $("conv-title").textContent = chat.title;
  $("conv-sub").textContent = chat.type === "private" ? t("private_chat")
    : t("members", { count: chat.members });
}

async function openChat(chatId) {
  const chat = state.chats.find((c) => c.id === chatId);
  if (!chat) return;
  state.chat = chat;
  state.unread.delete(chatId);
  if (state.panel === "chats") showPanel(null);
  closePopup();
  renderHeader();
  await reloadChat();
  await refreshChats();
}

async function reloadChat() {
  state.messages.clear();
  state.chatSeq = 0;
  $("messages").replaceChildren();
  await refreshMessages();
}

function actions() {
  return { press, command: (text) => sendText(text) };
}

const refreshMessages = refresher(async () => {
  const chat = state.chat;
  if (!chat) return;
  const changed = await api(`/control/chats/${chat.id}/messages?since=${state.chatSeq}`);
  if (state.chat !== chat) return; // switched meanwhile
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const view = box.getBoundingClientRect();
  const ctx = { me: state.me, actions: actions(), t, group: chat.type !== "private",
    botName: state.chats.find((c) => c.type === "private")?.title || t("bot") };
  let appended = false;
  let follow = null; // an edited message that was in view, or the latest: keep it in view
  for (const m of changed) {
    state.chatSeq = Math.max(state.chatSeq, m.seq);
    const node = messageNode(m, ctx);
    const old = box.querySelector(`.msg[data-id="${m.message_id}"]`);
    if (old) {
      const was = old.getBoundingClientRect();
      if ((was.bottom > view.top && was.top < view.bottom) || old === box.lastElementChild) {
        follow = node;
      }
      old.replaceWith(node);
    } else { box.append(node); appended = true; }
    state.messages.set(m.message_id, m);
  }
  if (!state.messages.size) box.replaceChildren(h("p", { class: "placeholder" }, t("empty")));
  else box.querySelector(".placeholder")?.remove();
  if (appended && (nearBottom || changed.length === state.messages.size)) {
    box.scrollTop = box.scrollHeight;
  } else if (follow) {
    reveal(box, follow);
  }
  renderInputArea();
});

// Scroll just enough that a message that grew is seen to its last button, never past its top.
function reveal(box, node) {
  const view = box.getBoundingClientRect();
  const rect = node.getBoundingClientRect();
  const below = rect.bottom - view.bottom + 8;
  if (below > 0) box.scrollTop += Math.min(below, Math.max(0, rect.top - view.top - 8));
}

// The newest reply keyboard the bot sent here, unless removed or already used (one-time).
function replyKeyboard() {
  const ordered = [...state.messages.values()].filter((m) => m.from_bot && !m.deleted);
  for (let i = ordered.length - 1; i >= 0; i--) {
    const markup = ordered[i].reply_markup || {};
    if (markup.remove_keyboard) return null;
    if (markup.keyboard) {
      return state.usedKeyboards.has(ordered[i].message_id) ? null : ordered[i];
    }
  }
  return null;
}

function renderInputArea() {
  const chat = state.chat;
  const fresh = chat.type === "private" && state.messages.size === 0;
  $("start-bar").hidden = !fresh;
  $("composer").hidden = fresh;
  const holder = replyKeyboard();
  const area = $("reply-keyboard");
  area.hidden = !holder;
  if (!holder) return area.replaceChildren();
  area.replaceChildren(...holder.reply_markup.keyboard.map((row) => h("div", { class: "kb-row" },
    row.map((button) => {
      const text = typeof button === "string" ? button : button.text;
      return h("button", { type: "button", class: "kb", onclick: () => {
        if (holder.reply_markup.one_time_keyboard) state.usedKeyboards.add(holder.message_id);
        if (button.request_location) return togglePopup("location");
        return sendText(text);
      } }, text);
    }))));
}

// --- acting -----------------------------------------------------------------------------------

function where() {
  return { user_id: state.me, chat_id: state.chat.id };
}

async function attempt(work) {
  try {
    await work();
  } catch (error) {
    toast(t("failed", { error: error.message }));
  }
}

function sendText(text) {
  return attempt(() => post("/control/send", { ...where(), text }));
}

async function press(message, button, node) {
  node.classList.add("busy");
  await attempt(async () => {
    const pressed = await post("/control/press", { ...where(), message_id: message.message_id,
      callback_data: button.callback_data });
    const answer = await api(`/control/callback_answers/${pressed.callback_query_id}?timeout=10`);
    if (!answer.answered) toast(t("no_answer"));
    else if (answer.text && answer.show_alert) alertBox(answer.text);
    else if (answer.text) toast(answer.text);
  });
  node.classList.remove("busy");
}

// An image goes as a photo, anything else (a PDF, a Word or Excel file…) as a document with
// its type, as Telegram's apps send them; the text typed so far is its caption.
async function sendFile(file) {
  const form = new FormData();
  form.append("user_id", state.me);
  form.append("chat_id", state.chat.id);
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  form.append("file", file, file.name);
  const photo = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
  if (!photo && file.type) form.append("mime_type", file.type);
  $("text").value = "";
  await attempt(() => api(photo ? "/control/send_photo" : "/control/send_document",
    { method: "POST", body: form }));
}

function sendLocation(latitude, longitude) {
  closePopup();
  return attempt(() => post("/control/send_location", { ...where(), latitude, longitude }));
}

async function scanPoster(code) {
  closePopup();
  if (state.chat.id !== state.me) await openChat(state.me);
  await sendText(`/start join_${code}`);
}

// A printed ballot's QR code is the deep link t.me/<bot>?start=pb_<token>: a phone's camera
// opens it in Telegram, which sends the bot `/start pb_<token>` from the person scanning.
async function scanBallot(token) {
  closePopup();
  if (state.chat.id !== state.me) await openChat(state.me);
  await sendText(`/start pb_${token}`);
}

// --- popups: command menu, location picker, posters ------------------------------------------

let popupKind = null;

function closePopup() {
  popupKind = null;
  $("popup").hidden = true;
  $("popup").replaceChildren();
}

async function togglePopup(kind) {
  if (popupKind === kind) return closePopup();
  popupKind = kind;
  const box = $("popup");
  const close = h("button", { type: "button", class: "close", onclick: closePopup,
    "aria-label": t("close") }, "×");
  let content = [];
  if (kind === "commands") {
    const language = (persona()?.language_code || "").split("-")[0];
    const commands = await api(`/control/commands?chat_id=${state.chat.id}&user_id=${state.me}` +
      `&language_code=${language}`);
    content = [h("h3", {}, t("commands")), commands.length ? h("ul", { class: "menu" },
      commands.map((c) => h("li", {}, h("button", { type: "button", class: "menu-item",
        onclick: () => { closePopup(); sendText(`/${c.command}`); } },
      h("strong", {}, `/${c.command}`), h("span", {}, c.description)))))
      : h("p", { class: "hint" }, t("no_commands"))];
  } else if (kind === "location") {
    const spots = await api(`/api/spots?lang=${state.lang}`);
    const lat = h("input", { type: "number", step: "any", min: -90, max: 90, required: true,
      "aria-label": t("latitude"), placeholder: t("latitude"), value: spots[0].latitude });
    const lon = h("input", { type: "number", step: "any", min: -180, max: 180, required: true,
      "aria-label": t("longitude"), placeholder: t("longitude"), value: spots[0].longitude });
    content = [h("h3", {}, t("spots")), h("ul", { class: "menu" }, spots.map((s) => h("li", {},
      h("button", { type: "button", class: "menu-item",
        onclick: () => sendLocation(s.latitude, s.longitude) },
      h("strong", {}, `📍 ${s.name}`), h("span", {}, `${s.latitude}, ${s.longitude}`))))),
    h("form", { class: "coords", onsubmit: (e) => { e.preventDefault();
      sendLocation(Number(lat.value), Number(lon.value)); } },
    h("span", { class: "hint" }, t("coordinates")), lat, lon,
    h("button", { type: "submit", class: "primary" }, t("share")))];
  } else if (kind === "posters") {
    const posters = await api("/api/posters");
    content = [h("h3", {}, t("posters")), h("p", { class: "hint" }, t("posters_hint")),
      h("div", { class: "posters" }, posters.map((p) => h("button", { type: "button",
        class: `poster ${p.kind}`, onclick: () => scanPoster(p.code) },
      h("span", { class: "qr", "aria-hidden": "true" }, "▦"), p.label)))];
    const ballots = await api(`/api/ballots?lang=${state.lang}`);
    if (ballots.length) {
      content.push(h("h3", {}, t("ballots")), h("p", { class: "hint" }, t("ballots_hint")),
        h("div", { class: "posters" }, ballots.map((b) => h("button", { type: "button",
          class: "poster ballot", title: b.code, onclick: () => scanBallot(b.token) },
        h("span", { class: "qr", "aria-hidden": "true" }, "▦"), b.label))),
        h("p", {}, h("a", { href: "/api/ballots.pdf", download: "" }, t("ballots_pdf"))));
    }
  }
  if (popupKind !== kind) return; // closed or switched while loading
  box.replaceChildren(close, ...content);
  box.hidden = false;
}

// --- inspector --------------------------------------------------------------------------------

const refreshCalls = refresher(async () => {
  const calls = await api(`/control/calls?after=${state.callsAfter}`);
  const body = $("calls");
  for (const call of calls) {
    state.callsAfter = Math.max(state.callsAfter, call.seq);
    if (call.method === "getUpdates") continue; // the polling loop would drown the rest
    const name = state.chatNames.get(call.chat_id) || (call.chat_id ?? "");
    const status = call.ok ? "200 OK" : `${call.error_code} ${call.description}`;
    const row = h("tr", { class: `call ${call.ok ? "ok" : "error"}`, tabindex: "0",
      "aria-expanded": "false", onclick: () => toggleDetails(row, call),
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          toggleDetails(row, call);
        }
      } }, h("td", {}, call.method),
    h("td", { title: String(call.chat_id ?? "") }, String(name)),
    h("td", { title: call.ok ? call.description : status }, status));
    body.prepend(row);
  }
  while (body.children.length > 300) body.lastChild.remove();
});

// A call's row opens (and closes) a row under it with everything the emulator recorded.
function toggleDetails(row, call) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("details")) {
    next.remove();
    row.setAttribute("aria-expanded", "false");
    return;
  }
  const chat = call.chat_id === null || call.chat_id === undefined ? "—"
    : `${state.chatNames.get(call.chat_id) || ""} (${call.chat_id})`.trim();
  const time = new Date(call.time * 1000).toLocaleTimeString(
    state.lang === "zh_CN" ? "zh-CN" : "en-GB");
  const pairs = [[t("method"), call.method], [t("call_number"), `#${call.seq}`],
    [t("time"), time], [t("chat"), chat],
    [t("status"), call.ok ? "200 OK" : String(call.error_code)]];
  if (call.description) pairs.push([call.ok ? t("content") : t("error"), call.description]);
  row.setAttribute("aria-expanded", "true");
  row.after(h("tr", { class: "details" }, h("td", { colspan: "3" },
    h("dl", {}, pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])))));
}

async function loadChatNames() {
  for (const chat of await api("/control/chats")) state.chatNames.set(chat.id, chat.name);
}

// --- live updates -----------------------------------------------------------------------------

function onChanges(changes) {
  let chat = false;
  let list = false;
  let calls = false;
  for (const change of changes) {
    if (["message", "edit", "delete", "pin"].includes(change.kind)) {
      if (state.chat && change.chat_id === state.chat.id) chat = true;
      else if (state.chats.some((c) => c.id === change.chat_id)) state.unread.add(change.chat_id);
      list = true;
    } else if (change.kind === "call") {
      calls = true;
    } else if (["chat", "user", "reset"].includes(change.kind)) {
      list = true;
    }
  }
  if (chat) refreshMessages();
  if (list) { refreshChats(); refreshPersonas(); }
  if (calls) refreshCalls();
}

function connect() {
  const events = new EventSource("/events");
  let first = true;
  events.onmessage = (event) => {
    $("offline").hidden = true;
    const data = JSON.parse(event.data);
    if (!data.changes) { // (re)connected: the sandbox may have restarted, so reload it all
      if (!first) { state.callsAfter = 0; $("calls").replaceChildren(); loadChatNames();
        refreshPersonas(); refreshChats(); if (state.chat) reloadChat(); }
      first = false;
      refreshCalls();
      return;
    }
    onChanges(data.changes);
  };
  events.onerror = () => { $("offline").hidden = false; };
}

// --- wiring -----------------------------------------------------------------------------------

function wire() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  $("inspector-toggle").addEventListener("click", () => {
    if (inspectorDrawer.matches) return togglePanel("inspector");
    const hidden = document.body.classList.toggle("no-inspector");
    localStorage.setItem("linli.inspector", hidden ? "hidden" : "shown");
    return syncToggles();
  });
  if (localStorage.getItem("linli.inspector") === "hidden") {
    document.body.classList.add("no-inspector");
  }
  $("who-button").addEventListener("click", () => togglePanel("personas"));
  $("chats-button").addEventListener("click", () => togglePanel("chats"));
  $("backdrop").addEventListener("click", () => showPanel(null));
  phone.addEventListener("change", onResize);
  inspectorDrawer.addEventListener("change", onResize);
  syncToggles();
  $("start").addEventListener("click", () => sendText("/start"));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    closePopup();
    sendText(text);
  });
  $("menu-button").addEventListener("click", () => togglePopup("commands"));
  $("location-button").addEventListener("click", () => togglePopup("location"));
  $("poster-button").addEventListener("click", () => togglePopup("posters"));
  $("start-poster").addEventListener("click", () => togglePopup("posters"));
  $("file-button").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) sendFile(file);
  });
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closePopup(); showPanel(null); $("alert").hidden = true; }
  });
}

async function main() {
  const saved = Number(localStorage.getItem("linli.persona"));
  wire();
  await loadChatNames();
  await setLanguage(state.lang);
  // restore the last persona, unless one was picked while the page loaded (that click
  // already opened its chat: opening it again would close what was opened since)
  if (state.me === null && state.personas.some((p) => p.id === saved)) {
    await selectPersona(saved);
  }
  connect();
}

main();
