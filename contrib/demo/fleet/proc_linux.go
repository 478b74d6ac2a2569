package fleet

import "syscall"

// procAttr puts a child in its own process group and makes the kernel
// send it SIGTERM when the fleet's process dies, so that not even a
// killed demo leaves a daemon behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
