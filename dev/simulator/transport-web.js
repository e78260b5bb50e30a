// wx.request's transport in the browser: fetch, aborted after the request's timeout.
export function webTransport(url, { method, headers, body, timeoutMs }) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  return fetch(url, { method, headers, body, signal: controller.signal })
    .then(async (res) => ({ status: res.status, text: await res.text() }))
    .catch((e) => {
      const error = new Error(timedOut ? "timeout" : e.message);
      error.timeout = timedOut;
      throw error;
    })
    .finally(() => clearTimeout(timer));
}
