package fleet

import "syscall"

// procAttr puts a child in its own process group and, with deathSignal,
// makes the kernel send it SIGTERM when the thread that started it ends
// (see startProcess), so that not even a killed demo leaves a daemon
// behind.
func procAttr(deathSignal bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if deathSignal {
		a.Pdeathsig = syscall.SIGTERM
	}
	return a
}
