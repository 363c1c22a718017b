#!/usr/bin/env node
// Submits jobs to POST /v1/jobs and writes what happened to a JSON file. Plain `http` module, one
// keep-alive Agent, no dependencies.
//
//   node bench/openloop.js open   <port> <key> <out.json> <rate/s> <seconds> [sockets]
//   node bench/openloop.js closed <port> <key> <out.json> <connections> <count>
//
// open: request i is due at t0 + i / rate whatever happened to the ones before (open loop), and
// its latency is counted from that scheduled time, not from when a socket was free to send it, so
// a stall shows as the latency of every request that should have gone out during it (no
// coordinated omission). The pool has `sockets` keep-alive sockets (default 256); a request
// waiting for one is late, and that lateness is in its latency.
// closed: `connections` loops each send their next request when the last one is answered, until
// `count` have been sent (used to fill the queue quickly).
//
// The file: {scheduled_rate, seconds, sent, ok, errors, statuses, elapsed_s, achieved_rate,
// latency_ms (from the schedule; every request, in order), service_ms (sent -> done), lag_ms
// (scheduled -> sent), per_second (answers per second since t0)}. Every wait is bounded: a
// request gets 30 s, the whole run its duration plus 60 s.
"use strict";
const http = require("http");
const fs = require("fs");
const crypto = require("crypto");

const [mode, port, key, out, a, b, c] = process.argv.slice(2);
if (!["open", "closed"].includes(mode) || !out) {
  console.error("usage: openloop.js open|closed <port> <key> <out.json> <rate|connections> <seconds|count> [sockets]");
  process.exit(2);
}
const sockets = mode === "open" ? Number(c || 256) : Number(a);
const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
const headers = { Authorization: "Bearer " + key, "Content-Type": "application/json" };
const tag = crypto.randomUUID().slice(0, 8);

function body(i) {
  return JSON.stringify({ request: { model: "llmq-sim", max_tokens: 16, messages: [
    { role: "user", content: `openloop ${tag} ${i} [[sim delay_ms=0]]` }] } });
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const records = []; // [scheduled, sent, done, status]
let finished = 0;
let t0 = 0;

function send(i, scheduled, onDone) {
  const record = [scheduled, 0, 0, 0];
  records[i] = record;
  const payload = body(i);
  const request = http.request({ host: "127.0.0.1", port: Number(port), path: "/v1/jobs", method: "POST",
    agent, headers: { ...headers, "Content-Length": Buffer.byteLength(payload) }, timeout: 30000 });
  request.on("socket", () => { record[1] = now(); });
  request.on("response", (response) => {
    response.resume();
    response.on("end", () => { record[2] = now(); record[3] = response.statusCode; finished++; onDone(); });
  });
  request.on("timeout", () => request.destroy(new Error("timeout")));
  request.on("error", () => {
    if (record[2] === 0) { record[2] = now(); record[3] = 0; finished++; onDone(); }
  });
  request.end(payload);
}

function summarize(planned) {
  const elapsed = (Math.max(...records.map((r) => r[2])) - t0) / 1000;
  const ok = records.filter((r) => r[3] === 202 || r[3] === 200);
  const statuses = {};
  for (const r of records) statuses[r[3]] = (statuses[r[3]] || 0) + 1;
  const perSecond = [];
  for (const r of ok) {
    const s = Math.floor((r[2] - t0) / 1000);
    perSecond[s] = (perSecond[s] || 0) + 1;
  }
  const round = (x) => Math.round(x * 1000) / 1000;
  const result = {
    mode, planned, sent: records.length, ok: ok.length, errors: records.length - ok.length, statuses,
    elapsed_s: round(elapsed), achieved_rate: round(ok.length / elapsed),
    latency_ms: records.map((r) => round(r[2] - r[0])),
    service_ms: records.map((r) => round(r[2] - (r[1] || r[0]))),
    lag_ms: records.map((r) => round((r[1] || r[2]) - r[0])),
    per_second: Array.from(perSecond, (x) => x || 0),
  };
  if (mode === "open") Object.assign(result, { scheduled_rate: Number(a), seconds: Number(b), sockets });
  else Object.assign(result, { connections: Number(a) });
  fs.writeFileSync(out, JSON.stringify(result));
  agent.destroy();
  console.log(`${mode}: ${result.ok} ok, ${result.errors} errors in ${result.elapsed_s} s (${result.achieved_rate}/s)`);
  process.exit(0);
}

const guard = (seconds) => setTimeout(() => {
  console.error(`openloop: gave up after ${seconds} s with ${records.length - finished} answers missing`);
  for (const r of records) if (r && r[2] === 0) { r[2] = now(); r[3] = -1; }
  summarize(records.length);
}, seconds * 1000).unref();

if (mode === "open") {
  const rate = Number(a), total = Math.round(rate * Number(b));
  t0 = now() + 100;
  let next = 0;
  const tick = () => {
    const due = now();
    while (next < total && t0 + (next * 1000) / rate <= due) {
      send(next, t0 + (next * 1000) / rate, () => { if (finished === total) summarize(total); });
      next++;
    }
    if (next < total) setTimeout(tick, Math.max(0, t0 + (next * 1000) / rate - now()));
  };
  setTimeout(tick, 100);
  guard(Number(b) + 60);
} else {
  const count = Number(b);
  let next = 0;
  t0 = now();
  const loop = () => {
    if (next >= count) { if (finished === count) summarize(count); return; }
    const i = next++;
    send(i, now(), loop);
  };
  for (let k = 0; k < Math.min(sockets, count); k++) loop();
  guard(Math.max(120, count / 50));
}
