// Package config loads signald's TOML configuration: defaults, then a strict
// decode in which unknown keys are errors, then validation whose errors name
// the file and the key. Loading has no side effects. It must not import
// agent.
package config
