"""The sales-control board page (销控板): one small HTML page, no build step, shipped inside the package."""

BOARD_HTML = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>销控板 · estate sales-control board</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; }
  .building { margin-bottom: 2rem; }
  .floor { display: flex; gap: .25rem; margin: .15rem 0; align-items: center; }
  .floor b { width: 3rem; text-align: right; margin-right: .5rem; }
  .unit { width: 4.5rem; padding: .2rem; text-align: center; border-radius: 4px; font-size: .8rem; }
  .available { background: #d7f5d7; } .held { background: #ffe08a; } .reserved { background: #ffb38a; }
  .subscribed { background: #f08a8a; } .contracted { background: #c77; color: #fff; } .handed_over { background: #777; color: #fff; }
  input { width: 32rem; }
</style>
</head>
<body>
<h1>销控板 Sales-control board</h1>
<p>Project id <input id="project"> <br>Token <input id="token"> <button onclick="load()">Show</button>
  <label><input type="checkbox" id="auto" checked style="width:auto"> refresh every 3 s</label></p>
<div id="counts"></div>
<div id="board"></div>
<script>
const esc = s => String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const q = new URLSearchParams(location.search);
document.getElementById('project').value = q.get('project') || '';
document.getElementById('token').value = q.get('token') || '';
async function load() {
  const pid = document.getElementById('project').value.trim();
  const token = document.getElementById('token').value.trim();
  if (!pid) return;
  const r = await fetch(`/v1/projects/${pid}/board`, {headers: {Authorization: `Bearer ${token}`}});
  const body = await r.json();
  if (!r.ok) { document.getElementById('board').textContent = body.error ? body.error.message : String(r.status); return; }
  document.getElementById('counts').textContent =
    `${body.project.code} ${body.project.name}: ` + Object.entries(body.counts).map(([k, v]) => `${k} ${v}`).join(' · ');
  const root = document.getElementById('board');
  root.innerHTML = '';
  for (const b of body.buildings) {
    const div = document.createElement('div'); div.className = 'building';
    div.innerHTML = `<h2>${esc(b.building)}</h2>`;
    for (const f of b.floors) {
      const row = document.createElement('div'); row.className = 'floor';
      row.innerHTML = `<b>${esc(f.floor)}F</b>` + f.units.map(u =>
        `<span class="unit ${esc(u.status)}" title="${esc(u.layout)} ${esc(u.list_price)}">${esc(u.number)}</span>`).join('');
      div.appendChild(row);
    }
    root.appendChild(div);
  }
}
setInterval(() => { if (document.getElementById('auto').checked) load(); }, 3000);
load();
</script>
</body>
</html>
"""
