// Package amconfig renders alertmanager.yml and its notification template,
// built on Alertmanager's own config types.
package amconfig

import (
	"errors"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Render returns alertmanager.yml. Secrets are referenced by file paths from
// layout.Files and never appear in the output.
func Render(s config.Settings, layout topology.Layout) ([]byte, error) {
	return nil, errors.New("amconfig: not implemented yet")
}

// Template returns the e-mail notification template file content; it is
// installed so that layout.Files.AlertmanagerTemplatesGlob matches it.
func Template() []byte { return nil }
