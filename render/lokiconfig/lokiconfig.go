// Package lokiconfig renders Loki's configuration file.
package lokiconfig

import (
	"errors"

	"github.com/koprogo/koprogo-monitoring/config"
)

// Render returns loki.yaml: single-binary, filesystem storage, retention
// enforced by the compactor.
func Render(s config.Settings) ([]byte, error) {
	return nil, errors.New("lokiconfig: not implemented yet")
}
