package components

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TunnelCommand returns the ssh command that forwards each host port to the
// same local port, so the host URLs (bindAddress:port) are reachable as
// localhost:port. It returns "" when dockerHost is not an ssh:// URL (the
// local socket: the ports are already local).
func TunnelCommand(dockerHost, bindAddress string, ports []int) string {
	u, err := url.Parse(dockerHost)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" {
		return ""
	}
	args := []string{"ssh", "-N"}
	for _, p := range ports {
		ps := strconv.Itoa(p)
		args = append(args, "-L", fmt.Sprintf("%s:%s", ps, net.JoinHostPort(bindAddress, ps)))
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	target := u.Hostname()
	if u.User != nil && u.User.Username() != "" {
		target = u.User.Username() + "@" + target
	}
	return strings.Join(append(args, target), " ")
}
