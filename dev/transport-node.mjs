// wx.request's transport in Node: node:http, with the request's timeout.
import { request } from "node:http";

export function nodeTransport(url, { method, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => {
      const e = new Error("timeout");
      e.timeout = true;
      req.destroy(e);
    });
    req.on("error", reject);
    req.end(body);
  });
}
