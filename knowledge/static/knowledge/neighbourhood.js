/* Draws a knowledge-graph neighbourhood with cytoscape.js (vendored, no CDN).
 * Initial elements come from the page (json_script "kg-elements"); clicking a node shows its
 * details and adds its 1-hop neighbourhood from the REST API (session auth, X-Tenant header).
 * window.kgCy exposes the cytoscape instance (the browser test reads it). */
(function () {
  "use strict";
  var container = document.getElementById("kg-canvas");
  var data = JSON.parse(document.getElementById("kg-elements").textContent);
  var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"];
  var typeColour = {};
  function colourOf(type) {
    if (!(type in typeColour)) typeColour[type] = palette[Object.keys(typeColour).length % palette.length];
    return typeColour[type];
  }
  function toElements(payload) {
    var out = [];
    payload.nodes.forEach(function (n) {
      out.push({ group: "nodes", data: { id: n.key, label: n.label || n.key, type: n.type, colour: colourOf(n.type), centre: n.key === payload.center ? 1 : 0 } });
    });
    payload.edges.forEach(function (e) {
      out.push({ group: "edges", data: { id: e.source + "\u0000" + e.type + "\u0000" + e.target, source: e.source, target: e.target, label: e.type } });
    });
    return out;
  }
  var cy = cytoscape({
    container: container,
    elements: toElements(data),
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 10, width: 22, height: 22, "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "node[centre = 1]", style: { width: 36, height: 36, "border-width": 3, "border-color": "#333" } },
      { selector: "edge", style: { width: 1.5, "line-color": "#aaa", "target-arrow-color": "#aaa", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#666", "text-rotation": "autorotate" } },
      { selector: ":selected", style: { "border-width": 3, "border-color": "#e15759" } }
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 8000 },
    // Fitting two or three nodes to the canvas would blow them up past its edges: at most 2x.
    maxZoom: 2
  });
  window.kgCy = cy;
  function showCounts() {
    var counts = document.getElementById("kg-counts");
    if (counts) counts.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " edges";
  }
  showCounts();
  cy.on("tap", "node", function (event) {
    var node = event.target;
    var details = document.getElementById("kg-details");
    details.textContent = node.data("type") + " · " + node.id() + " · " + node.data("label") + " — loading neighbours…";
    var url = container.dataset.apiUrl + "khop/?k=1&direction=both&max_nodes=60&node=" + encodeURIComponent(node.id());
    fetch(url, { credentials: "same-origin", headers: { "X-Tenant": container.dataset.tenant, Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (payload) {
        var fresh = toElements(payload).filter(function (el) { return cy.getElementById(el.data.id).empty(); });
        cy.add(fresh);
        cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: 8000 }).run();
        details.textContent = node.data("type") + " · " + node.id() + " · " + node.data("label") + " — " + payload.nodes.length + " nodes within one hop (version " + payload.version + ")";
        showCounts();
      })
      .catch(function (error) { details.textContent = "Could not expand " + node.id() + ": " + error.message; });
  });
})();
