//go:build unix && !linux

package testkafka

import "syscall"

// sysProcAttr puts the JVM in its own process group: Stop and Kill signal
// that group, never anything this package did not start.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
