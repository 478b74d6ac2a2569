package mirrorlistbench

import "testing"

func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:8080/mirrorlist?repo=baseos-9&arch=x86_64
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  300.00us   9.00ms   90.00%
    Req/Sec    30.12k     1.00k   32.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.00ms
     90%    1.50ms
     99%    2.00s
  301234 requests in 10.00s, 600.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  30123.40
Transfer/sec:     60.00MB
`
	s, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Requests: 301234, RPS: 30123.40, TransferMBps: 60 * (1 << 20) / 1e6, P50Ms: 0.85, P99Ms: 2000, Non2xx: 7, SocketErrors: 5}
	if s != want {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Fatal("parsed a failed run")
	}
}
