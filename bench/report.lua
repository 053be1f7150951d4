-- bench/report.lua: wrk prints its usual report; this adds one line that
-- bench/run reads.  Only done() is defined, so wrk's threads stay on their
-- fast path (no Lua call per request).  Latencies are in microseconds;
-- non2xx counts answers whose status is not 2xx or 3xx.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d " ..
		"mean_us=%.0f max_us=%d non2xx=%d connect=%d read=%d write=%d " ..
		"timeout=%d\n",
		summary.requests, summary.duration, latency:percentile(50),
		latency:percentile(90), latency:percentile(99), latency.mean,
		latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
