// Preloaded into the Agents Playground (NODE_OPTIONS=--require=...) to keep it on this machine.
//
// The Playground listens on every interface, and even with --disable-telemetry its Application
// Insights client probes the Azure metadata service (169.254.169.254) and resolves Microsoft
// hosts. With this module it listens on 127.0.0.1 only and every outbound connection to a
// non-loopback host fails at once, before any DNS lookup. Connections to the bot on 127.0.0.1
// are untouched.
"use strict";

const net = require("net");

function isLoopback(host) {
  if (host === undefined || host === null || host === "" || host === "localhost") return true;
  if (host === "::1" || host === "::ffff:127.0.0.1") return true;
  return net.isIPv4(host) && host.startsWith("127.");
}

function firstArgument(args) {
  // Node calls connect() with an already normalised [options, callback] array internally.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === "object") return { host: first.host, path: first.path };
  if (typeof first === "number" || /^\d+$/.test(String(first))) {
    return { host: typeof args[1] === "string" ? args[1] : undefined, path: undefined };
  }
  return { host: undefined, path: first };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function loopbackOnlyConnect(...args) {
  const { host, path } = firstArgument(args);
  if (!path && !isLoopback(host)) {
    const error = new Error(`loopback only: connection to ${host} refused`);
    error.code = "ECONNREFUSED";
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackOnlyListen(...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path === undefined && first.host === undefined && first.handle === undefined && first.fd === undefined) {
      args[0] = { ...first, host: "127.0.0.1" };
    }
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  } else if (first === undefined || typeof first === "function") {
    args.unshift(0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
