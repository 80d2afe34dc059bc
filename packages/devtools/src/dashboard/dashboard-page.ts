// The dashboard: one static page, no build step. It polls the JSON endpoint once a second and
// draws each section with plain DOM and inline SVG.

/** The page served at the dashboard's path; `apiPath` is the JSON endpoint it polls. */
export function dashboardPage(apiPath: string): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Zephyr dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 12px; padding: 12px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 10px 12px; overflow: auto; max-height: 420px; }
  section h2 { font-size: 14px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef0f3; font-variant-numeric: tabular-nums; }
  .num { text-align: right; }
  .big { font-size: 22px; font-weight: 600; margin-right: 18px; }
  .muted { color: #6b7383; }
  .bar { height: 10px; background: #4a7bd8; border-radius: 2px; position: absolute; top: 3px; }
  .bar.ERROR { background: #d84a4a; }
  .lane { position: relative; height: 16px; background: #f1f3f6; }
  svg { width: 100%; height: 60px; background: #fafbfc; }
  ul.tree { list-style: none; padding-left: 14px; margin: 0; }
</style>
<header><h1>Zephyr</h1><span id="meta" class="muted">connecting…</span></header>
<main>
  <section id="requests"><h2>Requests</h2><div id="rate"></div><svg id="rps-chart" viewBox="0 0 600 60" preserveAspectRatio="none"></svg></section>
  <section id="process"><h2>Event loop and memory</h2><div id="process-now"></div>
    <svg id="loop-chart" viewBox="0 0 600 60" preserveAspectRatio="none"></svg>
    <svg id="memory-chart" viewBox="0 0 600 60" preserveAspectRatio="none"></svg></section>
  <section id="routes"><h2>Routes</h2><table id="routes-table"></table></section>
  <section id="traces"><h2>Recent traces</h2><div id="traces-body"></div></section>
  <section id="actors"><h2>Actors</h2><div id="actors-body"></div></section>
  <section id="database"><h2>Database</h2><div id="database-body"></div></section>
</main>
<script>
const api = ${JSON.stringify(apiPath)} + location.search;
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const bytes = (n) => (n / 1048576).toFixed(1) + ' MiB';
function table(id, head, rows) {
  const t = document.getElementById(id) || el('table');
  t.replaceChildren(el('tr', {}, ...head.map((h) => el('th', {}, h))),
    ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { className: typeof c === 'number' ? 'num' : '' }, String(c))))));
  return t;
}
function line(svgId, series, colors) {
  const svg = document.getElementById(svgId);
  const max = Math.max(1, ...series.flat());
  svg.innerHTML = series.map((values, i) => {
    const step = 600 / Math.max(1, values.length - 1);
    const points = values.map((v, x) => (x * step).toFixed(1) + ',' + (58 - (v / max) * 56).toFixed(1)).join(' ');
    return '<polyline fill="none" stroke-width="1.5" stroke="' + colors[i] + '" points="' + points + '"/>';
  }).join('') + '<text x="4" y="12" font-size="10" fill="#6b7383">max ' + max.toFixed(1) + '</text>';
}
function actorTree(nodes) {
  return el('ul', { className: 'tree' }, ...nodes.map((n) => el('li', {},
    (n.type === 'supervisor' ? '▸ ' : '• ') + n.id + '  ',
    el('span', { className: 'muted' }, 'mailbox ' + (n.mailboxDepth ?? '–') + ' · restarts ' + n.restarts),
    n.children ? actorTree(n.children) : '')));
}
function waterfall(trace) {
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const root = trace.spans.find((s) => !s.parentSpanId) || trace.spans[0];
  const rows = [...trace.spans].sort((a, b) => a.startTime - b.startTime).map((s) => el('tr', {},
    el('td', {}, s.name), el('td', { className: 'num' }, s.durationMs.toFixed(2) + ' ms'),
    el('td', { style: 'width:50%' }, el('div', { className: 'lane' }, el('div', {
      className: 'bar ' + s.status.code,
      style: 'left:' + ((s.startTime - start) / total * 100).toFixed(2) + '%;width:' + Math.max(0.5, s.durationMs / total * 100).toFixed(2) + '%',
    })))));
  return el('details', { open: false, className: 'trace' },
    el('summary', {}, (root ? root.name : trace.traceId) + ' — ' + total.toFixed(2) + ' ms, ' + trace.spans.length + ' spans'),
    el('table', {}, ...rows));
}
function render(s) {
  document.getElementById('meta').textContent = 'pid ' + s.pid + ' · up ' + s.uptimeSeconds + ' s · ' + new Date().toLocaleTimeString();
  const r = s.requests;
  const lat = r.latencyMs;
  document.getElementById('rate').replaceChildren(
    el('span', { className: 'big', id: 'rate-value' }, r.rate.toFixed(1) + ' req/s'),
    el('span', { id: 'latency' }, lat ? 'p50 ' + lat.p50 + ' ms · p95 ' + lat.p95 + ' ms · p99 ' + lat.p99 + ' ms · max ' + lat.max + ' ms' : 'no requests yet'),
    el('div', { className: 'muted' }, 'total ' + r.total + ' · ' + Object.entries(r.statusClasses).map(([k, v]) => k + ' ' + v).join(' · ')));
  line('rps-chart', [r.perSecond], ['#4a7bd8']);
  const p = s.process;
  const last = p[p.length - 1];
  if (last) document.getElementById('process-now').textContent = 'event-loop delay p99 ' + last.loopP99 + ' ms (max ' + last.loopMax + ' ms) · rss ' + bytes(last.rss) + ' · heap ' + bytes(last.heapUsed) + ' of ' + bytes(last.heapTotal);
  line('loop-chart', [p.map((x) => x.loopP50), p.map((x) => x.loopP99)], ['#4a7bd8', '#d8904a']);
  line('memory-chart', [p.map((x) => x.rss / 1048576), p.map((x) => x.heapUsed / 1048576)], ['#4a7bd8', '#4ab07b']);
  table('routes-table', ['method', 'path'], s.routes.map((x) => [x.method, x.path]));
  const traces = document.getElementById('traces-body');
  if (s.traces === null) traces.replaceChildren(el('p', { className: 'muted' }, 'tracing is off (setupTracing keeps recent traces in memory)'));
  else if (s.traces.length === 0) traces.replaceChildren(el('p', { className: 'muted' }, 'no traces yet'));
  else {
    // Traces opened by hand stay open while they are listed; otherwise the newest is open.
    const open = new Set([...traces.querySelectorAll('details[open]')].map((d) => d.dataset.id));
    const kept = s.traces.some((t) => open.has(t.traceId));
    traces.replaceChildren(...s.traces.map((t, i) => {
      const d = waterfall(t);
      d.dataset.id = t.traceId;
      d.open = open.has(t.traceId) || (!kept && i === 0);
      return d;
    }));
  }
  const actors = document.getElementById('actors-body');
  if (s.actors === null) actors.replaceChildren(el('p', { className: 'muted' }, 'no actor system attached'));
  else actors.replaceChildren(actorTree(s.actors.tree),
    table(null, ['pool', 'pending per actor', 'restarts', 'rejected'], s.actors.pools.map((x) => [x.id, x.pending.join(' '), x.restarts.join(' '), x.rejected])),
    el('p', { className: 'muted' }, 'dead letters: ' + (s.actors.deadLetters ?? '–')));
  const db = document.getElementById('database-body');
  if (s.database === null) db.replaceChildren(el('p', { className: 'muted' }, 'no database attached'));
  else db.replaceChildren(
    s.database.pool ? table(null, ['pool', 'value'], Object.entries(s.database.pool).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v]))
      : el('p', { id: 'pool-none' }, 'pool: none (one embedded connection)'),
    s.database.migrations ? table(null, ['migration', 'state', 'applied'], s.database.migrations.map((m) => [m.name, m.state, m.appliedAt || ''])) : el('p', { className: 'muted' }, s.database.migrationsError || 'no migrations attached'));
}
async function poll() {
  try {
    const response = await fetch(api, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(response.status + ' ' + (await response.text()));
    render(await response.json());
  } catch (err) {
    document.getElementById('meta').textContent = 'not connected: ' + err.message;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</html>
`;
}
