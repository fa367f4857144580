// Package stack runs the monitoring stack on this machine from the upstream
// binaries, with the files and flags the program renders for production:
// only addresses and paths differ, and they enter through the renderers' own
// inputs (a topology.Layout and config.Settings). The live test and the
// footprint benchmark both use it.
package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is one child process. It is stopped by its PID, never by name.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startProcess starts bin with args and env (added to a minimal environment),
// its output going to dir/<name>.log. cred, when not nil, runs it as another
// user (PostgreSQL refuses to run as root).
func startProcess(name, dir, bin string, args, env []string, cred *syscall.Credential) (*Process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if cred != nil {
		cmd.Dir = "/" // dir may not be readable by the other user
	}
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C"}, env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Pdeathsig: if the test binary dies without running its cleanups, the
	// kernel kills the children instead of leaving them listening.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the operating-system process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends sig to the process and waits up to grace for it to exit, then
// kills it. Stopping an exited process is a no-op.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s (pid %d): %w", p.Name, p.PID(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s (pid %d) did not stop within %s after %s; killed", p.Name, p.PID(), grace, sig)
	}
}

// LogTail returns the last n lines of the process's output, for failure messages.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
