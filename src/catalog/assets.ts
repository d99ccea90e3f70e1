/** The site's one stylesheet and its search script, written into assets/ (no external resources). */

export const STYLE_CSS = `
:root { --fg: #1d2330; --muted: #5f6b7d; --bg: #ffffff; --panel: #f5f7fa; --line: #dde3ea; --accent: #1f5fbf; --head: #15253f;
  --c0: #f3f5f8; --c1: #d7e6fb; --c2: #9fc3f3; --c3: #5a97e0; --c4: #1f5fbf; --ok: #1c7c3a; --bad: #b42318; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
main li, main p, main td { overflow-wrap: anywhere; }
main th { overflow-wrap: normal; }
.layout-2 > * { min-width: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.88em; }
code { background: var(--panel); border-radius: 3px; padding: 0 0.2em; overflow-wrap: anywhere; }
pre { background: #0f1b2d; color: #e6edf7; padding: 0.9rem 1rem; border-radius: 6px; overflow-x: auto; line-height: 1.45; }
pre code { background: none; padding: 0; color: inherit; overflow-wrap: normal; white-space: pre; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding: 0.6rem 1.25rem; background: var(--head); color: #fff; }
header.top a { color: #dbe6f7; }
header.top .brand { font-weight: 700; color: #fff; font-size: 1.1rem; }
header.top nav { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
header.top nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #8fb8ff; }
.quick-search { margin-left: auto; }
.quick-search input { width: 14rem; max-width: 100%; padding: 0.35rem 0.6rem; border-radius: 4px; border: 1px solid #3b4f70; background: #22375a; color: #fff; }
.quick-search input::placeholder { color: #b6c4da; }
main { max-width: 78rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
footer { max-width: 78rem; margin: 0 auto; padding: 1rem 1.25rem 2rem; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0.4rem 0 0.6rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 1.8rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.crumbs { margin: 0; font-size: 0.9rem; color: var(--muted); }
.muted { color: var(--muted); }
.na { background: #fff8e6; border: 1px solid #f0d9a0; border-radius: 6px; padding: 0.5rem 0.75rem; }
.layout-2 { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 0 2rem; align-items: start; }
.layout-2 aside { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; margin-top: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 0.9rem; margin: 0.5rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 0.5rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.93rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
code.def, code.v { white-space: pre-wrap; }
.badge { display: inline-block; font-size: 0.78rem; font-weight: 600; padding: 0.05rem 0.5rem; border-radius: 999px; background: #e8edf4; color: #2b3a52; margin: 0 0.2rem 0.2rem 0; white-space: nowrap; }
.badge.type { background: #e4ecfb; color: #1a4791; }
.badge.tech { background: #efe7fb; color: #5b2a9c; }
.badge.ok { background: #dff3e5; color: var(--ok); }
.badge.bad { background: #fde4e1; color: var(--bad); }
.badge.neutral { background: #eef0f3; color: #4a5566; }
.badge.level-critical { background: #fde4e1; color: #8f1b12; }
.badge.level-high { background: #fdebd8; color: #9a4a06; }
.badge.level-medium { background: #fbf3d3; color: #7a5c00; }
.badge.level-low { background: #e4f1fb; color: #175a8c; }
.badge.level-informational { background: #eef0f3; color: #4a5566; }
.bad { color: var(--bad); }
ul.fields { columns: 16rem; padding-left: 1.2rem; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.1rem; border-left: 2px solid var(--line); margin: 0.2rem 0; }
ul.tree { padding-left: 0.6rem; }
ul.tree li { margin: 0.15rem 0; }
.stage { font-size: 0.75rem; font-weight: 700; text-transform: uppercase; padding: 0 0.4rem; border-radius: 3px; background: #e4ecfb; color: #1a4791; }
.stage.filter { background: #fde4e1; color: var(--bad); }
.op { color: #6a3fb0; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.8rem; margin: 1rem 0; }
.card { display: flex; flex-direction: column; padding: 1rem; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); color: var(--fg); }
.card strong { font-size: 1.8rem; color: var(--accent); }
.legend { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.swatch { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 4px; font-size: 0.85rem; border: 1px solid var(--line); }
.c0 { background: var(--c0); } .c1 { background: var(--c1); } .c2 { background: var(--c2); }
.c3 { background: var(--c3); color: #fff; } .c4 { background: var(--c4); color: #fff; }
.toggle { margin-right: 0.4rem; }
.matrix-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin-top: 0.8rem; border: 1px solid var(--line); border-radius: 8px; }
.matrix { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(9.5rem, 1fr); gap: 0.35rem; padding: 0.35rem; min-width: min-content; }
.tactic h3 { font-size: 0.85rem; margin: 0 0 0.35rem; padding: 0.35rem; background: var(--head); color: #fff; border-radius: 4px; min-height: 3.4rem; }
.tactic h3 small { display: block; font-weight: 400; color: #c9d6ea; }
.tactic ul { list-style: none; margin: 0; padding: 0; }
.cell { font-size: 0.76rem; line-height: 1.25; margin-bottom: 0.25rem; border-radius: 4px; border: 1px solid var(--line); }
.cell > a, .cell > span { display: flex; justify-content: space-between; align-items: baseline; gap: 0.3rem; padding: 0.3rem 0.4rem; color: inherit; }
.cell .lbl { min-width: 0; overflow-wrap: anywhere; }
.cell .tid { font-weight: 700; }
.cell .n { flex: none; font-weight: 700; }
.c3 a, .c4 a { color: #fff; }
#only-covered:checked ~ .matrix-wrap .cell.c0 { display: none; }
.search-form input { width: 100%; font-size: 1.1rem; padding: 0.6rem 0.8rem; border: 1px solid var(--line); border-radius: 6px; }
ol.results { padding-left: 0; list-style: none; }
ol.results li { padding: 0.55rem 0; border-bottom: 1px solid var(--line); }
ol.results .snippet { display: block; color: var(--muted); font-size: 0.9rem; }
details summary { cursor: pointer; color: var(--accent); }
q { quotes: "\\201C" "\\201D"; }
@media (max-width: 52rem) {
  .layout-2 { grid-template-columns: minmax(0, 1fr); }
  .layout-2 aside { order: -1; margin-top: 0.5rem; }
  .quick-search { margin-left: 0; width: 100%; }
  .quick-search input { width: 100%; }
  main { padding: 0.75rem 0.9rem 2rem; }
  h1 { font-size: 1.4rem; }
  dl.facts { grid-template-columns: minmax(0, 1fr); gap: 0 0; }
  dl.facts dd { margin-bottom: 0.4rem; }
}
`;

/**
 * Search over window.VIGIL_SEARCH ([kind, title, url, snippet, keywords] rows): every word of the query must
 * appear in the title or text; title matches rank first. Results are built with DOM calls
 * (textContent), never innerHTML.
 */
export const SEARCH_JS = `(function () {
  'use strict';
  var index = window.VIGIL_SEARCH || [];
  var input = document.getElementById('q');
  var results = document.getElementById('results');
  var status = document.getElementById('search-status');
  if (!input || !results || !status) return;
  var LABEL = { story: 'Story', detection: 'Detection', sigma: 'Sigma rule', technique: 'Technique' };
  var rows = index.map(function (e) { return { e: e, title: String(e[1]).toLowerCase(), text: (String(e[3]) + ' ' + String(e[4] || '')).toLowerCase() }; });
  var MAX = 200;
  function run() {
    var q = input.value.trim().toLowerCase();
    while (results.firstChild) results.removeChild(results.firstChild);
    if (q.length === 0) { status.textContent = 'Type to search ' + index.length + ' pages.'; return; }
    var words = q.split(/\\s+/).filter(Boolean);
    var hits = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], score = 0, ok = true;
      for (var k = 0; k < words.length; k++) {
        var w = words[k];
        if (r.title.indexOf(w) >= 0) score += 3;
        else if (r.text.indexOf(w) >= 0) score += 1;
        else { ok = false; break; }
      }
      if (!ok) continue;
      if (r.title === q) score += 100;
      else if (r.title.indexOf(q) === 0) score += 10;
      hits.push({ r: r, score: score });
    }
    hits.sort(function (a, b) { return b.score - a.score || (a.r.title < b.r.title ? -1 : a.r.title > b.r.title ? 1 : 0); });
    status.textContent = hits.length === 0 ? 'No match.' : hits.length + (hits.length === 1 ? ' match' : ' matches') + (hits.length > MAX ? ' (first ' + MAX + ' shown)' : '') + '.';
    hits.slice(0, MAX).forEach(function (h) {
      var e = h.r.e;
      var li = document.createElement('li');
      var badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = LABEL[e[0]] || e[0];
      var a = document.createElement('a');
      a.href = e[2];
      a.textContent = e[1];
      var snip = document.createElement('span');
      snip.className = 'snippet';
      snip.textContent = String(e[3]).slice(0, 200);
      li.appendChild(badge); li.appendChild(a); li.appendChild(snip);
      results.appendChild(li);
    });
  }
  var timer = null;
  input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  var params = new URLSearchParams(window.location.search);
  if (params.get('q')) input.value = params.get('q');
  run();
  input.focus();
})();
`;
