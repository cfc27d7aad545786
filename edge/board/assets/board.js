// The live price board: the cheapest offer of each GPU model, kept current
// over the edge's WebSocket. No framework, no build step.
"use strict";
(() => {
  const rows = document.getElementById("rows");
  const status = document.getElementById("status");
  const updatesEl = document.getElementById("updates");
  const gpuFilter = document.getElementById("gpu-filter");
  const regionFilter = document.getElementById("region-filter");
  const regionError = document.getElementById("region-error");

  const gpus = new Map(); // canonical id -> {name, tr, cells, price, timer}
  const waiting = new Map(); // request id -> gpu id
  let ws = null;
  let nextId = 1;
  let region = "";
  let updates = 0;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function addRow(g) {
    const tr = document.createElement("tr");
    tr.dataset.gpu = g.id;
    const cells = {};
    for (const k of ["name", "provider", "region", "price", "offers"]) {
      const td = document.createElement("td");
      if (k === "price" || k === "offers") td.className = "num";
      td.dataset.field = k;
      tr.appendChild(td);
      cells[k] = td;
    }
    cells.name.textContent = g.name || g.id;
    cells.provider.textContent = "…";
    rows.appendChild(tr);
    gpus.set(g.id, { name: (g.name || "") + " " + g.id, tr, cells, price: null, offer: "", timer: 0 });
  }

  function flash(td, cls) {
    td.classList.remove("changed", "up", "down");
    void td.offsetWidth; // restart the animation
    td.classList.add("changed");
    if (cls) td.classList.add(cls);
  }

  function show(id, offer, total) {
    const g = gpus.get(id);
    if (!g) return;
    const c = g.cells;
    c.offers.textContent = String(total);
    if (!offer) {
      c.provider.textContent = "—";
      c.region.textContent = "";
      c.price.textContent = "no offer";
      g.price = null;
      g.offer = "";
      return;
    }
    g.offer = offer.id;
    const price = offer.price_per_gpu_hour;
    if (c.provider.textContent !== offer.provider) {
      c.provider.textContent = offer.provider;
      if (g.price !== null) flash(c.provider);
    }
    const where = offer.normalized_region || offer.region || "";
    if (c.region.textContent !== where) {
      c.region.textContent = where;
      if (g.price !== null) flash(c.region);
    }
    const text = price.toFixed(4);
    if (c.price.textContent !== text) {
      const was = g.price;
      c.price.textContent = text;
      c.price.dataset.price = String(price);
      if (was !== null) flash(c.price, price < was ? "down" : "up");
    }
    g.price = price;
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function ask(id) {
    const req = "q" + nextId++;
    waiting.set(req, id);
    const filters = { gpu: id, sort: "price_per_gpu", per_page: 1 };
    if (region) filters.region = region;
    send({ type: "get_offers", id: req, filters });
  }

  function askAll() {
    for (const id of gpus.keys()) ask(id);
  }

  // A burst of updates for one model becomes one question per 300 ms.
  function schedule(id) {
    const g = gpus.get(id);
    if (!g || g.timer) return;
    g.timer = setTimeout(() => {
      g.timer = 0;
      ask(id);
    }, 300);
  }

  function handle(m) {
    switch (m.type) {
      case "connection_established":
        send({ type: "subscribe", channel: "price_updates" });
        askAll();
        break;
      case "subscribed":
        setStatus("live", "live");
        break;
      case "price_update": {
        updates++;
        updatesEl.textContent = String(updates);
        const g = gpus.get(m.gpu);
        if (!g) break;
        const p = m.new_price_per_gpu_hour;
        if (p != null && g.price !== null && p < g.price && !region) {
          // Cheaper than what is shown: the event says all there is to say.
          show(m.gpu, { id: m.offer_id, provider: m.provider, normalized_region: m.region, price_per_gpu_hour: p },
            Number(g.cells.offers.textContent) || 1);
        } else if (m.offer_id === g.offer || region) {
          schedule(m.gpu); // the shown offer moved up or went away: ask again
        }
        break;
      }
      case "offers_list": {
        const id = waiting.get(m.id);
        waiting.delete(m.id);
        const items = (m.data && m.data.items) || [];
        if (id) show(id, items[0], (m.data && m.data.total) || 0);
        regionError.hidden = true;
        break;
      }
      case "error": {
        const id = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.field === "region" || (m.field || "").endsWith("region")) {
          regionError.textContent = m.message;
          regionError.hidden = false;
        } else if (id) {
          show(id, null, 0);
        }
        break;
      }
      case "lagged":
        askAll(); // some updates were dropped: ask again for everything
        break;
    }
  }

  function connect() {
    setStatus("connecting", "connecting…");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/providers/");
    ws.onmessage = (e) => {
      try {
        handle(JSON.parse(e.data));
      } catch (err) {
        console.warn("board: bad frame", err);
      }
    };
    ws.onclose = () => {
      setStatus("down", "reconnecting…");
      setTimeout(connect, 2000);
    };
  }

  function applyGPUFilter() {
    const q = gpuFilter.value.trim().toLowerCase().replace(/\s+/g, "");
    for (const g of gpus.values()) {
      g.tr.hidden = q !== "" && !g.name.toLowerCase().replace(/\s+/g, "").includes(q);
    }
  }

  let regionTimer = 0;
  gpuFilter.addEventListener("input", applyGPUFilter);
  regionFilter.addEventListener("input", () => {
    clearTimeout(regionTimer);
    regionTimer = setTimeout(() => {
      region = regionFilter.value.trim();
      askAll();
    }, 400);
  });

  fetch("/api/v2/gpus")
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("GET /api/v2/gpus: " + r.status))))
    .then((body) => {
      for (const g of body.gpus) if (g.known && g.offers > 0) addRow(g);
      connect();
    })
    .catch((err) => {
      setStatus("down", "cannot load the GPU list");
      console.warn(err);
    });
})();
