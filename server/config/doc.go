// Package config loads signald's TOML configuration: defaults, then a strict
// decode in which unknown keys are errors, then validation that reports
// every problem at once, each as an *Error naming the file and the key.
// Loading has no side effects. It must not import agent, nor the server
// components (shared defaults come from the constants-only dnsparams).
package config
