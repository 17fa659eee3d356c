/* The chat page: starts a conversation over the REST API (session + X-Tenant + CSRF token),
 * posts each message with stream=true and reads the server-sent events as they arrive
 * (delta events grow the reply; the done event brings intent, slots, sources, sentiment).
 * Plain JavaScript, no libraries. */
(function () {
  "use strict";
  const root = document.getElementById("cs-chat");
  const api = root.dataset.api;
  const transcript = document.getElementById("cs-transcript");
  const form = document.getElementById("cs-form");
  const input = document.getElementById("cs-input");
  const statusLine = document.getElementById("cs-status");
  let conversation = null;
  const state = { replies: 0, last: null };
  window.csChat = state;

  function headers() {
    return {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "X-Tenant": root.dataset.tenant,
      "X-CSRFToken": root.dataset.csrf,
    };
  }

  function bubble(role, text) {
    const li = document.createElement("li");
    li.className = "cs-" + role;
    const body = document.createElement("div");
    body.className = "cs-text";
    body.textContent = text;
    li.appendChild(body);
    transcript.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function details(li, reply) {
    const box = document.createElement("div");
    box.className = "cs-details";
    const slots = Object.entries(reply.slots || {}).map(([k, v]) => k + "=" + v).join(", ");
    const sentiment = reply.sentiment && reply.sentiment.label ? reply.sentiment.label : "-";
    box.textContent = "intent " + (reply.intent || "-") +
      (reply.confidence != null ? " (" + reply.confidence.toFixed(2) + ")" : "") +
      (reply.fallback ? " · fallback" : "") + " · sentiment " + sentiment +
      (slots ? " · slots " + slots : "") + (reply.handoff ? " · with a person" : "");
    if (reply.citations && reply.citations.some((c) => c.url)) {
      const cited = document.createElement("ul");
      cited.className = "cs-citations";
      reply.citations.filter((c) => c.url).forEach((c) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = c.url;
        link.className = "cs-citation";
        link.textContent = [c.label].concat(c.heading_path || []).join(" › ");
        item.appendChild(link);
        cited.appendChild(item);
      });
      box.appendChild(document.createTextNode(" · cited:"));
      box.appendChild(cited);
    }
    if (reply.support_score != null) {
      box.appendChild(document.createTextNode(" · support " + reply.support_score.toFixed(2) +
        (reply.grounding && reply.grounding.extractive_fallback ? " (extractive)" : "")));
    }
    if (reply.sources && reply.sources.length) {
      const list = document.createElement("ul");
      list.className = "cs-sources";
      reply.sources.forEach((key) => {
        const item = document.createElement("li");
        item.textContent = key;
        list.appendChild(item);
      });
      box.appendChild(document.createTextNode(" · sources:"));
      box.appendChild(list);
    }
    li.appendChild(box);
  }

  async function start() {
    const response = await fetch(api + "conversations/", {
      method: "POST", credentials: "same-origin", headers: headers(),
      body: JSON.stringify({ channel: "web" }),
    });
    if (!response.ok) throw new Error("could not start a conversation (" + response.status + ")");
    conversation = (await response.json()).id;
    root.dataset.conversation = conversation;
  }

  function parseEvents(buffer, onEvent) {
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      block.split("\n").forEach((line) => {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      });
      if (data) onEvent(name, JSON.parse(data));
    }
    return buffer;
  }

  async function send(text) {
    if (!conversation) await start();
    bubble("user", text);
    const li = bubble("assistant", "");
    const body = li.querySelector(".cs-text");
    const response = await fetch(api + "conversations/" + conversation + "/messages/", {
      method: "POST", credentials: "same-origin", headers: headers(),
      body: JSON.stringify({ text: text, stream: true }),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      body.textContent = "Error: " + (problem.detail || response.status);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), (name, data) => {
        if (name === "delta") body.textContent += data.text;
        else if (name === "done") {
          if (data.reply === null) li.remove();
          else { body.textContent = data.reply; details(li, data); }
          state.replies += 1;
          state.last = data;
        } else if (name === "error") body.textContent = "Error: " + data.detail;
      });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    statusLine.textContent = "…";
    send(text)
      .then(() => { statusLine.textContent = ""; })
      .catch((error) => { statusLine.textContent = String(error); });
  });
})();
