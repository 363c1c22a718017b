// Open-loop submits at a fixed rate: POST /v1/jobs every 1/rate s whatever the answers, over up
// to 256 keep-alive connections, each latency measured from the request's scheduled time (so a
// stall counts for every submit it delays). Prints one JSON line: sent, ok, failed, p50/p99/max ms.
//
//   node bench/open-loop.js <port> <key> <rate> <seconds>
const http = require("http");
const [port, key, rate, seconds] = [process.argv[2], process.argv[3], +process.argv[4], +process.argv[5]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const total = Math.round(rate * seconds);
const latencies = [];
let sent = 0, ok = 0, failed = 0, done = 0;
const start = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - start) / 1e6;

function submit(slot, due) {
  const body = JSON.stringify({ request: { model: "llmq-sim", messages: [
    { role: "user", content: `open loop ${slot} [[sim delay_ms=0]]` }] } });
  const request = http.request({ host: "127.0.0.1", port, path: "/v1/jobs", method: "POST", agent,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body) } }, (response) => {
    response.resume();
    response.on("end", () => {
      if (response.statusCode === 202) { ok++; latencies.push(ms() - due); } else { failed++; }
      finish();
    });
  });
  request.on("error", () => { failed++; finish(); });
  request.end(body);
}

function finish() {
  if (++done < total) return;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1) : null;
  console.log(JSON.stringify({ rate, seconds, sent, ok, failed, p50: at(0.5), p99: at(0.99),
    max: latencies.length ? +latencies[latencies.length - 1].toFixed(1) : null }));
  agent.destroy();
}

function tick() {
  const now = ms();
  while (sent < total && sent * 1000 / rate <= now) {
    submit(sent, sent * 1000 / rate);
    sent++;
  }
  if (sent < total) setTimeout(tick, 1);
}
tick();
