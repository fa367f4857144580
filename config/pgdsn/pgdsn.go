// Package pgdsn splits a PostgreSQL URL into the three files postgres_exporter
// reads (DATA_SOURCE_USER_FILE, DATA_SOURCE_PASS_FILE, DATA_SOURCE_URI_FILE),
// so the DSN is uploaded as files and never sits in a container environment
// variable, where `docker inspect` would show it.
//
// postgres_exporter v0.17.1 (cmd/postgres_exporter/datasource.go) reads each
// file, trims surrounding white space, and rebuilds
// "postgresql://" + url.UserPassword(user, pass).String() + "@" + uri.
// So the user and password files hold the decoded values (the exporter escapes
// them again) and the URI file holds host[:port]/database?params verbatim.
package pgdsn

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// sslModes are the sslmode values libpq (and postgres_exporter's lib/pq)
// know; any other value fails the exporter's every connection.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// Parts are the contents of the three files.
type Parts struct {
	User     string
	Password string
	URI      string // host[:port][/database][?params]
}

// Split parses a postgres:// or postgresql:// URL. Its errors never quote the
// DSN, which holds a password.
func Split(dsn string) (Parts, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Parts{}, errors.New("pgdsn: the DSN is not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return Parts{}, errors.New("pgdsn: the DSN must start with postgresql:// or postgres://")
	}
	if u.Host == "" {
		return Parts{}, errors.New("pgdsn: the DSN has no host")
	}
	if u.User == nil || u.User.Username() == "" {
		return Parts{}, errors.New("pgdsn: the DSN has no user name")
	}
	if strings.Contains(dsn, "#") { // a literal '#' starts a fragment; inside a password it must be %23
		return Parts{}, errors.New("pgdsn: the DSN must not contain a #fragment")
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	// The exporter trims the files; a value with surrounding white space
	// would silently become a different credential.
	if strings.TrimSpace(user) != user || strings.TrimSpace(pass) != pass {
		return Parts{}, errors.New("pgdsn: the DSN's user name or password begins or ends with white space, which postgres_exporter would strip")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Parts{}, errors.New("pgdsn: the DSN's port is not a port number (1 to 65535)")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Parts{}, errors.New("pgdsn: the DSN's query (?...) does not parse")
	}
	if modes, ok := q["sslmode"]; ok && (len(modes) != 1 || !slices.Contains(sslModes, modes[0])) {
		return Parts{}, errors.New("pgdsn: the DSN's sslmode is not one of " + strings.Join(sslModes, ", "))
	}
	uri := u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		uri += "?" + u.RawQuery
	}
	return Parts{User: user, Password: pass, URI: uri}, nil
}
