// Package doh serves DNS over HTTPS (RFC 8484) at /dns-query on signald's
// public listener, for agents whose network blocks port 53. It owns only
// the HTTP side: decoding the GET parameter or the POST body, the 4xx
// answers to bad requests, and the response headers (media type,
// Cache-Control from the smallest TTL). The DNS answer comes from an
// Answerer — authdns.Server.Answer, the path of a TCP query over the
// current zone snapshot — so DoH answers are the same bytes as UDP and TCP
// ones, with RRSIGs when the query sets DO and never truncated.
//
// TLS is not here: signald's public listener speaks HTTP/1.1 and h2c
// (unencrypted HTTP/2 with prior knowledge); a TLS-terminating proxy in
// front, or a client such as `dig +http-plain`, talks to it. The package
// imports only the standard library; it must not import agent, the store or
// authdns (the root passes the Answerer in). Its tests drive authdns, dig,
// kdig and the agent's DoH client against it.
package doh
