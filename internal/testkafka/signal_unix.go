//go:build unix

package testkafka

import "syscall"

// signalGroup sends SIGTERM (or SIGKILL) to the process group of pid, which
// sysProcAttr made pid's own.
func signalGroup(pid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-pid, sig)
}
