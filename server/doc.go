// Package server is signald's composition root: it wires the store, the
// publisher, the authoritative DNS server and the HTTP API from one
// configuration and runs them under one errgroup. Each component lives in
// its own subpackage. Nothing under server may import agent.
package server
