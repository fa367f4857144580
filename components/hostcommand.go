package components

import (
	"net/url"
	"strings"

	"github.com/koprogo/koprogo-monitoring/config"
)

// HostCommand returns a shell command that runs argv on the Docker host.
//
// For an ssh:// host it is `ssh`, with dockerSshOpts and the URL's user and
// port: the same program, options and known_hosts the Docker provider uses
// for that host (it runs `ssh <dockerSshOpts> ... docker system
// dial-stdio`), so the host key is trusted exactly as the provider trusts it.
// For a unix:// socket it is the docker CLI with -H; for the local socket
// argv as it is. Every word is shell-quoted; argv's words must also be safe
// for the remote shell, which ssh hands them to (the callers pass fixed
// words and container names, which config restricts to [a-z0-9-]).
func HostCommand(d config.Docker, argv ...string) string {
	u, err := url.Parse(d.Host)
	switch {
	case d.Host == "" || err != nil:
		return shellJoin(argv)
	case u.Scheme == "unix" && len(argv) > 0 && argv[0] == "docker":
		return shellJoin(append([]string{"docker", "-H", d.Host}, argv[1:]...))
	case u.Scheme == "ssh":
		ssh := append([]string{"ssh"}, d.SSHOpts...)
		ssh = append(ssh, "-T")
		if p := u.Port(); p != "" {
			ssh = append(ssh, "-p", p)
		}
		target := u.Hostname()
		if u.User != nil && u.User.Username() != "" {
			target = u.User.Username() + "@" + target
		}
		return shellJoin(append(append(ssh, "--", target), argv...))
	}
	return shellJoin(argv)
}

// shellJoin quotes every word for a POSIX shell.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
			quoted[i] = w
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
