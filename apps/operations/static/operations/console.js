// The operator console: fills the tables and draws the charts from the snapshot embedded in the
// page (json_script), then re-reads the JSON endpoint every few seconds. Every value goes into
// the page as text (textContent), never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("ops-console");
  if (!root) return;
  const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
  const charts = {};
  window.opsCharts = charts; // for the browser test and for debugging from the console

  function cell(row, value, className) {
    const td = document.createElement("td");
    if (value instanceof Node) td.appendChild(value);
    else td.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function fill(id, rows, render, emptyText) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    if (!rows.length) {
      const tr = body.insertRow();
      const td = cell(tr, emptyText || "none", "ops-empty");
      td.colSpan = document.querySelectorAll("#" + id + " thead th").length || 2;
      return;
    }
    rows.forEach((item) => render(body.insertRow(), item));
  }

  function state(ok) {
    const span = document.createElement("span");
    span.className = ok ? "ops-ok" : "ops-bad";
    span.textContent = ok ? "up" : "DOWN";
    return span;
  }

  function time(iso) {
    return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) : "";
  }

  function renderServices(s) {
    const checks = [["database", s.database], ["broker", s.broker]];
    fill("ops-services", checks, (tr, [name, c]) => {
      cell(tr, name);
      cell(tr, state(c.ok));
      cell(tr, c.ok ? (c.vendor || c.mode || "") : c.error);
      cell(tr, c.latency_ms);
    });
    const depths = s.queue_depths.ok ? s.queue_depths.queues || {} : {};
    const queues = Object.entries(depths);
    if (s.queue_depths.ok && s.queue_depths.unacked !== undefined) queues.push(["delivered, not acknowledged", s.queue_depths.unacked]);
    if (!s.queue_depths.ok) queues.push(["error", s.queue_depths.error]);
    fill("ops-queues", queues, (tr, [name, n]) => { cell(tr, name); cell(tr, n); },
      s.queue_depths.mode || "no broker");
    const missing = s.queues_without_worker || [];
    const workers = s.workers.slice();
    missing.forEach((q) => workers.push({ name: "no worker consumes " + q, missing: true }));
    fill("ops-workers", workers, (tr, w) => {
      if (w.missing) { cell(tr, w.name, "ops-bad"); for (let i = 0; i < 5; i++) cell(tr, ""); return; }
      cell(tr, w.name);
      cell(tr, (w.queues || []).join(", "));
      cell(tr, w.pool + (w.concurrency ? " ×" + w.concurrency : ""));
      cell(tr, w.active);
      cell(tr, w.processed);
      const models = (w.models || []).map((m) => {
        if (!m.loaded) return m.name + " (not loaded)";
        const waiting = m.batcher ? ", " + m.batcher.queue_depth + " waiting" : "";
        return m.name + " (" + (m.device || "?") + waiting + ")";
      });
      cell(tr, models.join(", ") || (w.error || "—"));
    }, "no worker answered (tasks run in-process without a broker)");
  }

  function lineDatasets(groups) {
    return Object.entries(groups).map(([name, g], i) => ({
      label: name, data: g.series, borderColor: COLOURS[i % COLOURS.length],
      backgroundColor: COLOURS[i % COLOURS.length], tension: 0.2, pointRadius: 0, borderWidth: 2,
    }));
  }

  function latencyData(groups) {
    const names = Object.keys(groups);
    return {
      labels: names,
      datasets: [
        { label: "p50", data: names.map((n) => groups[n].p50_ms), backgroundColor: "#60a5fa" },
        { label: "p95", data: names.map((n) => groups[n].p95_ms), backgroundColor: "#1d4ed8" },
      ],
    };
  }

  function statusData(groups) {
    // Status classes when requests were recorded; audited actions only know errors.
    const names = Object.keys(groups);
    const status = (g) => g.status || { ok: g.requests - g.errors, errors: g.errors };
    const classes = [...new Set(names.flatMap((n) => Object.keys(status(groups[n]))))].sort();
    const colour = { "2xx": "#16a34a", "3xx": "#0891b2", "4xx": "#ca8a04", "5xx": "#dc2626", ok: "#16a34a", errors: "#dc2626" };
    return {
      labels: names,
      datasets: classes.map((c) => ({
        label: c, data: names.map((n) => status(groups[n])[c] || 0), backgroundColor: colour[c] || "#6b7280",
      })),
    };
  }

  function draw(id, type, data) {
    const options = {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true } },
    };
    if (charts[id]) {
      charts[id].data = data;
      charts[id].update();
    } else {
      charts[id] = new window.Chart(document.getElementById(id), { type: type, data: data, options: options });
    }
  }

  function renderThroughput(t) {
    document.getElementById("ops-window").textContent =
      time(t.since) + " – " + time(t.until) + " UTC · " + t.events_read + " audited actions" +
      (t.sampled ? " (newest only: a sample)" : "");
    draw("chart-vertical-rate", "line", { labels: t.labels, datasets: lineDatasets(t.by_vertical) });
    draw("chart-model-rate", "line", { labels: t.labels, datasets: lineDatasets(t.by_model) });
    document.getElementById("ops-vertical-source").textContent = t.vertical_source;
    draw("chart-vertical-latency", "bar", latencyData(t.by_vertical));
    draw("chart-vertical-status", "bar", statusData(t.by_vertical));
    // A chart with nothing to draw says why, and what would fill it (from the server).
    Object.entries(t.empty || {}).forEach(([id, note]) => {
      const p = document.getElementById(id + "-empty");
      if (!p) return;
      p.textContent = note || "";
      p.hidden = !note;
    });
    const rows = [];
    Object.entries(t.by_vertical).forEach(([n, g]) => rows.push(["vertical", n, g]));
    Object.entries(t.by_model).forEach(([n, g]) => rows.push(["model", n, g]));
    fill("ops-throughput", rows, (tr, [kind, name, g]) => {
      cell(tr, kind); cell(tr, name); cell(tr, g.requests); cell(tr, g.per_minute);
      cell(tr, g.errors, g.errors ? "ops-bad" : ""); cell(tr, g.p50_ms); cell(tr, g.p95_ms);
    }, "no audited actions in the last hour");
  }

  function renderJobs(jobs) {
    fill("ops-jobs", jobs, (tr, j) => {
      cell(tr, j.tenant); cell(tr, j.kind); cell(tr, j.state);
      const progress = document.createElement("progress");
      progress.className = "ops-progress";
      progress.max = j.total || 1;
      if (j.total) progress.value = j.done;
      const wrap = document.createElement("span");
      wrap.append(progress, " " + j.done + (j.total ? "/" + j.total : "") + (j.message ? " · " + j.message : ""));
      cell(tr, wrap);
      cell(tr, j.attempts); cell(tr, time(j.created_at));
    }, "no job is queued or running");
  }

  function renderFailures(f) {
    fill("ops-failed-jobs", f.jobs, (tr, j) => {
      cell(tr, j.tenant); cell(tr, j.kind); cell(tr, j.attempts); cell(tr, j.error, "ops-error"); cell(tr, time(j.finished_at));
    }, "no job failed in the last day");
    fill("ops-failed-actions", f.actions, (tr, a) => {
      cell(tr, a.tenant); cell(tr, a.action); cell(tr, a.outcome, "ops-bad"); cell(tr, a.status_code);
      cell(tr, a.model); cell(tr, a.request_id); cell(tr, time(a.created_at));
    }, "no action failed in the last hour");
  }

  function renderPanel(id, panel, render, emptyText) {
    document.getElementById(id + "-error").textContent = panel.error ? "Unavailable: " + panel.error : "";
    fill(id, panel.rows, render, emptyText);
  }

  function renderAudit(a) {
    const v = a.verification, c = a.checkpoint;
    const rows = [];
    if (v) {
      const s = document.createElement("span");
      s.className = v.ok ? "ops-ok" : "ops-bad";
      s.textContent = v.ok ? "intact" : "PROBLEMS: " + v.problems + (v.first_problem ? " — " + v.first_problem : "");
      rows.push(["last verification", s]);
      rows.push(["verified", v.tenant + " · " + (v.events === null ? "?" : v.events) + " events · " + time(v.finished_at)]);
    } else {
      rows.push(["last verification", "never (POST /api/v1/audit/verifications/ or manage.py audit_verify)"]);
    }
    rows.push(["last signed checkpoint", c ? c.chain + " @ " + c.seq + " · " + time(c.created_at) : "none yet"]);
    fill("ops-audit", rows, (tr, [k, v2]) => { const th = document.createElement("th"); th.textContent = k; tr.appendChild(th); cell(tr, v2); });
  }

  function render(snap) {
    document.getElementById("ops-scope").textContent = snap.scope;
    document.getElementById("ops-updated").textContent = time(snap.generated_at) + " UTC";
    renderServices(snap.services);
    renderThroughput(snap.throughput);
    renderJobs(snap.jobs);
    renderFailures(snap.failures);
    renderPanel("ops-drift", snap.drift_alerts, (tr, d) => {
      cell(tr, d.tenant); cell(tr, d.model); cell(tr, d.kind); cell(tr, d.feature); cell(tr, d.value);
      cell(tr, d.alert, d.alert === "alert" ? "ops-bad" : "ops-warn"); cell(tr, time(d.created_at));
    }, "no drift warning or alert");
    renderPanel("ops-handoffs", snap.handoffs, (tr, h) => {
      cell(tr, h.tenant); cell(tr, h.conversation_id); cell(tr, h.reason); cell(tr, time(h.waiting_since));
    }, "no conversation waits for a person");
    renderAudit(snap.audit);
    root.dataset.rendered = String(Number(root.dataset.rendered || 0) + 1);
  }

  function refresh() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then(render)
      .catch((err) => { document.getElementById("ops-updated").textContent = "refresh failed: " + err.message; });
  }

  render(JSON.parse(document.getElementById("ops-snapshot").textContent));
  setInterval(refresh, 1000 * Number(root.dataset.refreshS || 15));
})();
