package testkafka

import "syscall"

// sysProcAttr puts the JVM in its own process group (Stop and Kill signal
// that group, never anything this package did not start) and has the
// kernel SIGKILL it if the test binary dies without running its cleanups
// (a panic, a -timeout), so a failing test leaves no broker behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
