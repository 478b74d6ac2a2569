// Package signal owns the formats that signald, mirror-agent and any third
// party share: the signal record published in DNS TXT, the `_trees` layout
// record, and the TIME file kept at the root of every content tree.
//
// It imports only the standard library so that anyone can vendor it. Every
// parser here reads hostile input: it is strict, bounded and has no side
// effects. Nothing in this package may import server or agent.
package signal
