/// The labelling page: one item at a time with its triplet and (unless the project is blind) the model's score;
/// keys 1–9 for the classes, Enter to save a multi-label choice, s skip, u unsure, z undo; progress and
/// per-labeller counts; for admins, agreement and conflicts. The token is kept in the browser's localStorage and
/// sent as a bearer header (images are fetched the same way, so no route is open without it).
enum LabelPage {
  static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AstroLearn labelling</title>
<style>
body { font-family: sans-serif; margin: 1.5em; max-width: 70em; }
#triplet { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }
.classes button { margin: 0.2em; padding: 0.5em 1em; font-size: 1.1em; }
.chosen { background: #1f77b4; color: white; }
#status { color: #555; } .error { color: #b00; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; }
</style></head>
<body>
<h1>AstroLearn labelling</h1>
<div id="login"><label>Token <input id="token" type="password" size="70"></label> <button id="signin">Sign in</button></div>
<div id="app" hidden>
  <p>Signed in as <b id="me"></b>. Project <select id="project"></select> <span id="progress"></span></p>
  <div id="item"><p id="caption"></p><img id="triplet" alt="triplet">
    <p id="score"></p>
    <div class="classes" id="classes"></div>
    <p><label><input type="checkbox" id="unsure"> unsure (u)</label> · <button id="skip">skip (s)</button>
       <button id="undo">undo (z)</button></p>
  </div>
  <p id="status"></p>
  <div id="admin" hidden><h2>Agreement</h2><div id="agreement"></div></div>
</div>
<script>
"use strict";
let token = localStorage.getItem("astro-label-token") || "";
let me = null, projects = [], project = null, current = null, shownAt = 0, chosen = new Set();
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }
async function api(path, options = {}) {
  options.headers = Object.assign({"Authorization": "Bearer " + token}, options.headers || {});
  const response = await fetch(path, options);
  if (response.status === 401) { $("app").hidden = true; $("login").hidden = false; throw new Error("sign in again"); }
  if (!response.ok) { let m = response.statusText; try { m = (await response.json()).error.message; } catch (e) {} throw new Error(m); }
  return response;
}
async function signIn() {
  token = $("token").value.trim() || token;
  try {
    me = await (await api("/api/me")).json();
    localStorage.setItem("astro-label-token", token);
    $("login").hidden = true; $("app").hidden = false; $("me").textContent = me.name + " (" + me.role + ")";
    projects = await (await api("/api/projects")).json();
    $("project").innerHTML = projects.map(p => `<option value="${p.id}">${esc(p.name)}</option>`).join("");
    await chooseProject();
  } catch (e) { status(e.message, true); }
}
async function chooseProject() {
  project = projects.find(p => String(p.id) === $("project").value) || projects[0];
  if (!project) { status("no projects yet"); return; }
  $("classes").innerHTML = project.classes.map((c, i) => `<button data-class="${esc(c)}">${i + 1} ${esc(c)}</button>`).join("")
    + (project.multi_label ? ` <button id="save">save (Enter)</button>` : "");
  document.querySelectorAll("[data-class]").forEach(b => b.onclick = () => choose(b.dataset.class));
  if (project.multi_label) $("save").onclick = save;
  $("admin").hidden = me.role !== "admin";
  await next();
}
async function next() {
  const queue = await (await api(`/api/projects/${project.id}/queue?n=1`)).json();
  await showProgress();
  if (me.role === "admin") await showAgreement();
  current = queue.items[0] || null; chosen = new Set(); $("unsure").checked = false; markChosen();
  if (!current) { $("item").hidden = true; status("nothing left to label in this project"); return; }
  $("item").hidden = false;
  // The external id (a candid as text for alerts): JSON numbers above 2^53, as candids are, lose digits in JavaScript.
  $("caption").textContent = current.external_id;
  $("score").textContent = current.score == null ? "" : "model score " + current.score.toFixed(3) + " (" + queue.model_version + ")";
  const png = await (await api(`/api/items/${current.id}/triplet.png`)).blob();
  $("triplet").src = URL.createObjectURL(png);
  shownAt = performance.now();
}
function markChosen() { document.querySelectorAll("[data-class]").forEach(b => b.classList.toggle("chosen", chosen.has(b.dataset.class))); }
async function choose(name) {
  if (!current) return;
  if (project.multi_label) { chosen.has(name) ? chosen.delete(name) : chosen.add(name); markChosen(); return; }
  chosen = new Set([name]); await save();
}
async function save(skip) {
  if (!current) return;
  const body = {labels: skip === true ? [] : [...chosen], seconds: (performance.now() - shownAt) / 1000, unsure: $("unsure").checked, skip: skip === true};
  try {
    await api(`/api/items/${current.id}/labels`, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    status(skip === true ? "skipped " + current.external_id : "saved " + current.external_id + ": " + body.labels.join(", "));
    await next();
  } catch (e) { status(e.message, true); }
}
async function undo() {
  try { const r = await api(`/api/projects/${project.id}/undo`, {method: "POST"}); status(r.status === 204 ? "nothing to undo" : "undone"); await next(); }
  catch (e) { status(e.message, true); }
}
async function showProgress() {
  const p = await (await api(`/api/projects/${project.id}/progress`)).json();
  $("progress").textContent = `${p.labelled} of ${p.items} items labelled · ` + Object.entries(p.per_labeller).map(([k, v]) => `${k}: ${v}`).join(", ");
}
async function showAgreement() {
  const a = await (await api(`/api/projects/${project.id}/agreement`)).json();
  $("agreement").innerHTML = `<p>Fleiss' kappa: ${a.fleiss_kappa == null ? "—" : a.fleiss_kappa.toFixed(3)}</p>`
    + "<table><tr><th>labellers</th><th>Cohen's kappa</th><th>items</th></tr>"
    + a.pairs.map(p => `<tr><td>${esc(p.a)} · ${esc(p.b)}</td><td>${p.cohen_kappa.toFixed(3)}</td><td>${p.n}</td></tr>`).join("") + "</table>"
    + `<h3>Conflicts (${a.conflicts.length})</h3><table><tr><th>item</th><th>answers</th></tr>`
    + a.conflicts.map(c => `<tr><td>${esc(c.external_id)}</td><td>${esc(Object.entries(c.answers).map(([k, v]) => k + ": " + v.join("+")).join("; "))}</td></tr>`).join("") + "</table>";
}
document.addEventListener("keydown", (e) => {
  if ($("app").hidden || e.target.tagName === "INPUT" && e.target.type !== "checkbox") return;
  const n = parseInt(e.key, 10);
  if (project && n >= 1 && n <= project.classes.length) { choose(project.classes[n - 1]); }
  else if (e.key === "s") { save(true); }
  else if (e.key === "u") { $("unsure").checked = !$("unsure").checked; }
  else if (e.key === "z") { undo(); }
  else if (e.key === "Enter" && project && project.multi_label) { save(); }
});
$("signin").onclick = signIn;
$("skip").onclick = () => save(true);
$("undo").onclick = undo;
$("project").onchange = chooseProject;
if (token) signIn();
</script>
</body></html>
"""#
}
