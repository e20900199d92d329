// The load generator of the read benchmark, in its own process (forked by the benchmark):
// each message {id, url, body, connections, seconds} runs autocannon (closed loop, keep-alive,
// one request in flight per connection) and answers {id, result}.
import autocannon from 'autocannon';

process.on('message', async (msg) => {
  if (msg === 'exit') process.exit(0);
  const { id, url, body, connections, seconds } = msg;
  try {
    const r = await autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      pipelining: 1,
      duration: seconds,
      timeout: 30,
    });
    process.send({
      id,
      result: {
        requests: r.requests.total,
        seconds: r.duration,
        rps: r.requests.total / r.duration,
        p50: r.latency.p50,
        p90: r.latency.p90,
        p99: r.latency.p99,
        max: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        bytes: r.throughput.total,
      },
    });
  } catch (e) {
    process.send({ id, error: String(e?.stack ?? e) });
  }
});
process.send({ ready: true });
