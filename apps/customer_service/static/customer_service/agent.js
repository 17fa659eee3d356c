/* The agent view's live queue: an EventSource on the queue stream; every "queue" event
 * redraws the list of open handoffs with the transcript, intent, slots and sources. */
(function () {
  "use strict";
  const root = document.getElementById("cs-agent");
  const list = document.getElementById("cs-queue");
  const status = document.getElementById("cs-queue-status");

  function line(text, className) {
    const element = document.createElement("div");
    if (className) element.className = className;
    element.textContent = text;
    return element;
  }

  function draw(queue) {
    list.replaceChildren();
    queue.forEach((item) => {
      const li = document.createElement("li");
      li.className = "cs-handoff";
      li.id = "conversation-" + item.conversation_id;
      li.dataset.conversation = item.conversation_id;
      const slots = Object.entries(item.slots || {}).map(([k, v]) => k + "=" + v).join(", ");
      li.appendChild(line(item.reason + " · intent " + (item.intent || "-") +
        " · language " + (item.language || "-") + (slots ? " · slots " + slots : ""), "cs-meta"));
      const transcript = document.createElement("ol");
      transcript.className = "cs-transcript";
      (item.transcript || []).forEach((turn) => {
        transcript.appendChild(line(turn.role + ": " + turn.text));
      });
      li.appendChild(transcript);
      if ((item.sources || []).length) {
        li.appendChild(line("sources: " + item.sources.join(", "), "cs-sources"));
      }
      list.appendChild(li);
    });
    status.textContent = queue.length + " waiting";
  }

  const source = new EventSource(root.dataset.stream);
  source.addEventListener("queue", (event) => draw(JSON.parse(event.data)));
  source.onopen = () => { status.textContent = "live"; };
  source.onerror = () => { status.textContent = "reconnecting…"; };
})();
