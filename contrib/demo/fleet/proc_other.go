//go:build !linux

package fleet

import "syscall"

// procAttr puts a child in its own process group.
func procAttr(bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
