// The load generator of the read benchmarks, in its own process (forked by the benchmark).
// Each message {id, url, body, connections, warmup, seconds} runs ONE autocannon run
// (closed loop, keep-alive, one request in flight per connection) of warmup + seconds, and
// counts only the responses that complete inside the measured window, so the window sees
// the server in steady state (as many requests in flight at its start as at its end).
// It tells the parent when the window opens and closes ({id, window: 'open' | 'close'}) so
// that the parent samples CPU over the same span, then answers {id, result}.
import autocannon from 'autocannon';

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

process.on('message', (msg) => {
  if (msg === 'exit') process.exit(0);
  const { id, url, body, connections, warmup, seconds } = msg;
  const latencies = [];
  let bytes = 0;
  let non2xx = 0;
  let open = false;
  let opened = 0;
  let closed = 0;
  const instance = autocannon(
    {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      pipelining: 1,
      duration: warmup + seconds + 0.5,
      timeout: 60,
    },
    (err, r) => {
      if (err) return process.send({ id, error: String(err?.stack ?? err) });
      latencies.sort((a, b) => a - b);
      const span = (closed - opened) / 1000;
      process.send({
        id,
        result: {
          requests: latencies.length,
          seconds: span,
          rps: latencies.length / span,
          p50: percentile(latencies, 0.5),
          p90: percentile(latencies, 0.9),
          p99: percentile(latencies, 0.99),
          max: latencies[latencies.length - 1] ?? 0,
          non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          bytes,
        },
      });
    },
  );
  instance.on('response', (_client, statusCode, resBytes, responseTime) => {
    if (!open) return;
    latencies.push(responseTime);
    bytes += resBytes;
    if (statusCode < 200 || statusCode > 299) non2xx++;
  });
  setTimeout(() => {
    open = true;
    opened = performance.now();
    process.send({ id, window: 'open' });
  }, warmup * 1000);
  setTimeout(() => {
    open = false;
    closed = performance.now();
    process.send({ id, window: 'close' });
  }, (warmup + seconds) * 1000);
});
process.send({ ready: true });
