// Package config owns agent.toml: the defaults, the strict decode (unknown
// keys are errors) and Validate, whose errors name the file and the key.
// It is pure: Parse reads bytes and never touches the network or the trees.
// It imports signal but nothing else of this module.
package config
